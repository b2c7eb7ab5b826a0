// The IoU-matrix matcher (docs/kernels/boxes.md): torchvision's Matcher (with and without
// allow_low_quality_matches) and SSDMatcher over a quality matrix [M gt, N predictions].
//   1. ds_boxes_match_rows_f32 (modes 1, 2): per gt row, the maximum and its first index, by a block
//      reduction (warp shuffles, then shared memory) — torch.max(dim=1).
//   2. ds_boxes_match_cols_f32: per prediction column, the best gt (torch.max(dim=0): NaN first, then
//      the larger value, then the smaller index), the thresholds, and the low-quality / SSD overrides.
// The (value, index) order is total, so any reduction tree gives the same answer.
#include "detseg/box_device.cuh"
#include "detseg/kernel_api.cuh"
#include "detseg/reduce_math.cuh"

#define DS_MATCH_ROW_TILE 256  // gt rows of rowmax / rowarg staged in shared memory per pass

// Does (vb, ib) come before (va, ia) in torch.max's order? An index < 0 means "no candidate".
__device__ __forceinline__ bool ds_match_takes(float vb, int ib, float va, int ia) {
  if (ib < 0) return false;
  if (ia < 0) return true;
  const bool nb = vb != vb, na = va != va;
  if (nb != na) return nb;
  if (!nb && vb != va) return vb > va;
  return ib < ia;
}

// Bound: memory (each row read once, coalesced). Block 256 per gt row (rows grid-stride over grid.x):
// threads scan j = t, t + 256, ... keeping their first best, then __shfl_down_sync folds each warp and
// warp 0 folds the 8 warp results from shared memory.
extern "C" __global__ void ds_boxes_match_rows_f32(const float* __restrict__ q, int m, long long n,
                                                   float* __restrict__ rowmax, int* __restrict__ rowarg) {
  DS_SHARED(float, s_val, 32);
  DS_SHARED(int, s_idx, 32);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
  for (long long r = blockIdx.x; r < m; r += gridDim.x) {  // block-uniform
    const float* __restrict__ row = q + r * n;
    float best = 0.0f;
    int arg = -1;
    for (long long j = threadIdx.x; j < n; j += blockDim.x) {
      const float v = __ldg(row + j);
      if (ds_match_takes(v, (int)j, best, arg)) {
        best = v;
        arg = (int)j;
      }
    }
    for (int off = 16; off > 0; off >>= 1) {
      const float ov = __shfl_down_sync(0xffffffffu, best, off);
      const int oi = __shfl_down_sync(0xffffffffu, arg, off);
      if (lane + off < 32 && ds_match_takes(ov, oi, best, arg)) {
        best = ov;
        arg = oi;
      }
    }
    if (lane == 0) {
      s_val[warp] = best;
      s_idx[warp] = arg;
    }
    __syncthreads();
    if (warp == 0) {
      best = lane < nwarps ? s_val[lane] : 0.0f;
      arg = lane < nwarps ? s_idx[lane] : -1;
      for (int off = 16; off > 0; off >>= 1) {
        const float ov = __shfl_down_sync(0xffffffffu, best, off);
        const int oi = __shfl_down_sync(0xffffffffu, arg, off);
        if (lane + off < 32 && ds_match_takes(ov, oi, best, arg)) {
          best = ov;
          arg = oi;
        }
      }
      if (lane == 0) {
        rowmax[r] = best;
        rowarg[r] = arg;
      }
    }
    __syncthreads();  // s_val / s_idx are rewritten for the next row
  }
}
DS_EXPORT_KERNEL(ds_boxes_match_rows_f32)

// mode 0: Matcher; 1: Matcher(allow_low_quality_matches) (needs rowmax); 2: SSDMatcher (high == low,
// needs rowarg; a prediction that is several gts' best goes to the largest gt index, as torch's
// index_put does on the CPU). m == 0 gives -1 everywhere.
// Bound: memory (Q read once; a warp reads 128 contiguous bytes of a row). Block (32, 8): threadIdx.x
// picks a column, threadIdx.y a residue class of rows; the 8 partial (value, index) results meet in
// shared memory and thread y = 0 folds them. rowmax / rowarg tiles of 256 rows are staged in shared
// memory once per block and reused by all 32 columns. Column tiles grid-stride over grid.x.
extern "C" __global__ void ds_boxes_match_cols_f32(const float* __restrict__ q, int m, long long n,
                                                   const float* __restrict__ rowmax, const int* __restrict__ rowarg,
                                                   float high, float low, int mode, int* __restrict__ out) {
  DS_SHARED(float, s_rmax, DS_MATCH_ROW_TILE);
  DS_SHARED(int, s_rarg, DS_MATCH_ROW_TILE);
  DS_SHARED(float, s_val, 256);
  DS_SHARED(int, s_idx, 256);
  DS_SHARED(int, s_flag, 256);
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int flat = ty * blockDim.x + tx, nthreads = blockDim.x * blockDim.y;
  for (long long j0 = (long long)blockIdx.x * 32; j0 < n; j0 += (long long)gridDim.x * 32) {  // block-uniform
    const long long j = j0 + tx;
    float best = 0.0f;
    int arg = -1, flag = 0, force = -1;
    for (int r0 = 0; r0 < m; r0 += DS_MATCH_ROW_TILE) {  // block-uniform
      const int rend = m - r0 < DS_MATCH_ROW_TILE ? m : r0 + DS_MATCH_ROW_TILE;
      if (mode != 0) {
        for (int t = flat; t < rend - r0; t += nthreads) {
          if (mode == 1) s_rmax[t] = __ldg(rowmax + r0 + t);
          if (mode == 2) s_rarg[t] = __ldg(rowarg + r0 + t);
        }
      }
      __syncthreads();
      if (j < n) {
        for (int r = r0 + ty; r < rend; r += blockDim.y) {  // increasing r: the first best stays
          const float v = __ldg(q + (long long)r * n + j);
          if (ds_match_takes(v, r, best, arg)) {
            best = v;
            arg = r;
          }
          if (mode == 1 && v == s_rmax[r - r0]) flag = 1;
          if (mode == 2 && (long long)s_rarg[r - r0] == j) force = r;
        }
      }
      __syncthreads();  // the next row tile overwrites s_rmax / s_rarg
    }
    s_val[flat] = best;
    s_idx[flat] = arg;
    s_flag[flat] = mode == 2 ? force : flag;
    __syncthreads();
    if (ty == 0 && j < n) {
      for (int y = 1; y < (int)blockDim.y; ++y) {
        const int o = y * blockDim.x + tx;
        if (ds_match_takes(s_val[o], s_idx[o], best, arg)) {
          best = s_val[o];
          arg = s_idx[o];
        }
        if (mode == 2) {
          force = s_flag[o] > force ? s_flag[o] : force;
        } else {
          flag |= s_flag[o];
        }
      }
      int res = arg;
      if (arg < 0) {
        res = -1;  // no gt at all
      } else if (best < low) {
        res = -1;  // BELOW_LOW_THRESHOLD
      } else if (best >= low && best < high) {
        res = -2;  // BETWEEN_THRESHOLDS
      }
      if (mode == 1 && flag) res = arg;
      if (mode == 2 && force >= 0) res = force;
      out[j] = res;
    }
    __syncthreads();  // s_val / s_idx / s_flag are rewritten by the next column tile
  }
}
DS_EXPORT_KERNEL(ds_boxes_match_cols_f32)
