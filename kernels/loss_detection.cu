// Building blocks of the composite detector losses (io.detseg.ops.DetectionLosses; contracts in
// docs/kernels/losses.md): selecting a class's block by label (Fast R-CNN's per-class box deltas,
// Mask R-CNN's per-class masks) and its scatter back for the backward, label masks (RPN objectness
// targets and weights, positive-anchor masks), SSD's hard negative mining, and YOLOv1's per-cell loss.
#include "detseg/kernel_api.cuh"
#include "detseg/loss_device.cuh"
#include "detseg/loss_math.cuh"

// dst[i, j] = src[i, labels[i], j] for src [r, c, k]; a label outside [0, c) gives 0 and is recorded.
// Bound: memory (a gathered read and a write per element). Block 256, grid min(ceil(r*k/1024), 4096),
// a thread per dst element (coalesced writes), grid-stride.
extern "C" __global__ void ds_loss_gather_by_label_f32(const float* __restrict__ src, const int* __restrict__ labels,
                                                       long long r, int c, long long k, float* __restrict__ dst,
                                                       long long* __restrict__ bad) {
  const long long total = r * k;
  const long long stride = (long long)gridDim.x * blockDim.x;
  for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
    const long long i = e / k;
    const long long j = e - i * k;
    const int l = __ldg(labels + i);
    const bool ok = l >= 0 && l < c;
    if (!ok && j == 0) atomicMin(bad, i);
    dst[e] = ok ? __ldg(src + (i * c + l) * k + j) : 0.0f;
  }
}
DS_EXPORT_KERNEL(ds_loss_gather_by_label_f32)

// dst[i, l, j] = (l == labels[i]) ? src[i, j] : 0 for dst [r, c, k] (the gather's backward).
// Bound: memory (one write per dst element). Block 256, grid min(ceil(r*c*k/1024), 4096), grid-stride.
extern "C" __global__ void ds_loss_scatter_by_label_f32(const float* __restrict__ src, const int* __restrict__ labels,
                                                        long long r, int c, long long k, float* __restrict__ dst) {
  const long long total = r * c * k;
  const long long ck = (long long)c * k;
  const long long stride = (long long)gridDim.x * blockDim.x;
  for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
    const long long i = e / ck;
    const long long rem = e - i * ck;
    const long long l = rem / k;
    const long long j = rem - l * k;
    dst[e] = __ldg(labels + i) == l ? __ldg(src + i * k + j) : 0.0f;
  }
}
DS_EXPORT_KERNEL(ds_loss_scatter_by_label_f32)

// Masks from int labels: mode 0 (positives): weight = [label >= 1]; mode 1 (objectness): target =
// [label == 1], weight = [label >= 0] (-1 = not sampled). target may be null in mode 0.
// Bound: memory. Block 256, grid min(ceil(r/1024), 4096), grid-stride.
extern "C" __global__ void ds_loss_label_masks_f32(const int* __restrict__ labels, long long r, int mode,
                                                   float* __restrict__ target, float* __restrict__ weight) {
  const long long stride = (long long)gridDim.x * blockDim.x;
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < r; i += stride) {
    const int l = __ldg(labels + i);
    if (mode == 0) {
      weight[i] = l >= 1 ? 1.0f : 0.0f;
    } else {
      target[i] = l == 1 ? 1.0f : 0.0f;
      weight[i] = l >= 0 ? 1.0f : 0.0f;
    }
  }
}
DS_EXPORT_KERNEL(ds_loss_label_masks_f32)

// ---- SSD hard negative mining -------------------------------------------------------------------------
// Block-wide sum of an int (result valid in every thread). s: 33 ints of shared memory.
__device__ __forceinline__ int ds_det_block_sum_int(int v, int* s) {
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
  __syncthreads();  // s may still be read by a previous call
  if (lane == 0) s[warp] = v;
  __syncthreads();
  if (threadIdx.x == 0) {
    int t = 0;
    for (int w = 0; w < (int)(blockDim.x >> 5); ++w) t += s[w];
    s[32] = t;
  }
  __syncthreads();
  return s[32];
}

// One block per image: used[n, a] = 1 for positives (label > 0) and for the k = min(ratio * positives,
// negatives) negatives (label == 0) of largest loss (ds_loss_hnm_key order; ties to the lower index),
// else 0. The k-th key is found by a radix select over the 32 key bits, each pass a block-wide count;
// the anchors of the threshold key are taken in index order through an exclusive scan of per-thread
// counts (each thread owns a contiguous run of anchors), so the selection is exact and deterministic.
// Bound: latency/compute (34 block-wide passes over the image's anchors, a few thousand per image).
// Block 256 (a multiple of 32, <= 1024), grid min(n, 65535), grid-stride over images.
extern "C" __global__ void ds_loss_hard_negative_mining_f32(const float* __restrict__ loss,
                                                            const int* __restrict__ labels, long long n, long long a,
                                                            int ratio, float* __restrict__ used) {
  DS_SHARED(int, s_red, 33);
  DS_SHARED(int, s_scan, 1024);
  const long long per = (a + blockDim.x - 1) / blockDim.x;
  for (long long img = blockIdx.x; img < n; img += gridDim.x) {
    const float* __restrict__ li = loss + img * a;
    const int* __restrict__ lab = labels + img * a;
    float* __restrict__ out = used + img * a;
    const long long lo = (long long)threadIdx.x * per;
    const long long hi = lo + per < a ? lo + per : a;
    int pos = 0;
    int neg = 0;
    for (long long i = lo; i < hi; ++i) {
      const int l = __ldg(lab + i);
      pos += l > 0;
      neg += l == 0;
    }
    pos = ds_det_block_sum_int(pos, s_red);
    neg = ds_det_block_sum_int(neg, s_red);
    long long kk = (long long)ratio * pos;
    int k = (int)(kk < neg ? kk : neg);
    unsigned prefix = 0u;
    unsigned mask = 0u;
    int remaining = k;
    if (k > 0) {
      for (int bit = 31; bit >= 0; --bit) {  // block-uniform loop: every thread runs every pass
        const unsigned b = 1u << bit;
        int cnt = 0;
        for (long long i = lo; i < hi; ++i) {
          if (__ldg(lab + i) != 0) continue;
          const unsigned key = ds_loss_hnm_key(__ldg(li + i));
          cnt += ((key & mask) == prefix) && (key & b);
        }
        cnt = ds_det_block_sum_int(cnt, s_red);
        if (cnt >= remaining) {
          prefix |= b;
        } else {
          remaining -= cnt;
        }
        mask |= b;
      }
    }
    // Anchors with key == prefix: take the first `remaining` in index order.
    int eq = 0;
    if (k > 0) {
      for (long long i = lo; i < hi; ++i) eq += __ldg(lab + i) == 0 && ds_loss_hnm_key(__ldg(li + i)) == prefix;
    }
    __syncthreads();
    s_scan[threadIdx.x] = eq;
    __syncthreads();
    int before = 0;
    for (int t = 0; t < (int)threadIdx.x; ++t) before += s_scan[t];  // exclusive scan (at most 1024 adds)
    for (long long i = lo; i < hi; ++i) {
      const int l = __ldg(lab + i);
      float u = l > 0 ? 1.0f : 0.0f;
      if (l == 0 && k > 0) {
        const unsigned key = ds_loss_hnm_key(__ldg(li + i));
        if (key > prefix) {
          u = 1.0f;
        } else if (key == prefix) {
          u = before < remaining ? 1.0f : 0.0f;
          ++before;
        }
      }
      out[i] = u;
    }
    __syncthreads();  // s_scan is rewritten for the next image
  }
}
DS_EXPORT_KERNEL(ds_loss_hard_negative_mining_f32)

// ---- YOLOv1 ----------------------------------------------------------------------------------------------
// Per-image loss sums: block b handles images b, b + gridDim, ...; its threads stride the S*S cells and the
// block reduction is fixed, so out_img[n] is deterministic.
// Bound: compute/latency (B IoUs per cell, (5B + C) floats per cell). Block 64 (S*S is 49 for YOLOv1's 7x7
// grid), grid min(n, 4096).
extern "C" __global__ void ds_loss_yolo_fwd_f32(const float* __restrict__ pred, const float* __restrict__ tgt,
                                                long long n, int grid, int nb, int nc, float lambda_coord,
                                                float lambda_noobj, int iou_target, float* __restrict__ out_img) {
  DS_SHARED(float, s_red, 64);
  const int cells = grid * grid;
  const int pw = 5 * nb + nc;
  const int tw = 5 + nc;
  for (long long img = blockIdx.x; img < n; img += gridDim.x) {
    float acc = 0.0f;
    for (int cell = threadIdx.x; cell < cells; cell += blockDim.x) {
      const long long ci = img * cells + cell;
      acc += ds_loss_yolo_cell(pred + ci * pw, tgt + ci * tw, cell / grid, cell % grid, grid, nb, nc, lambda_coord,
                               lambda_noobj, iou_target, 0.0f, nullptr);
    }
    float z = 0.0f;
    ds_loss_block_sum2(acc, z, s_red);
    if (threadIdx.x == 0) out_img[img] = acc;
    __syncthreads();  // s_red is reused by the next image
  }
}
DS_EXPORT_KERNEL(ds_loss_yolo_fwd_f32)

// grad_in for one cell per thread: scale = grad_out[img] (none) or grad_out[0], divided by divisor.
// Bound: memory/compute (a cell's predictions read and written once). Block 256, grid
// min(ceil(n*S*S/256), 4096), grid-stride over cells.
extern "C" __global__ void ds_loss_yolo_bwd_f32(const float* __restrict__ pred, const float* __restrict__ tgt,
                                                long long n, int grid, int nb, int nc, float lambda_coord,
                                                float lambda_noobj, int iou_target,
                                                const float* __restrict__ grad_out, int grad_elementwise,
                                                float divisor, float* __restrict__ grad_in) {
  const int cells = grid * grid;
  const int pw = 5 * nb + nc;
  const int tw = 5 + nc;
  const long long total = n * cells;
  const long long stride = (long long)gridDim.x * blockDim.x;
  for (long long ci = (long long)blockIdx.x * blockDim.x + threadIdx.x; ci < total; ci += stride) {
    const long long img = ci / cells;
    const int cell = (int)(ci - img * cells);
    const float scale = __ldg(grad_out + (grad_elementwise ? img : 0)) / divisor;
    ds_loss_yolo_cell(pred + ci * pw, tgt + ci * tw, cell / grid, cell % grid, grid, nb, nc, lambda_coord,
                      lambda_noobj, iou_target, scale, grad_in + ci * pw);
  }
}
DS_EXPORT_KERNEL(ds_loss_yolo_bwd_f32)
