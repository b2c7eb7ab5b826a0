// Box ops (docs/kernels/boxes.md): area, generalized IoU (forward and backward), clipping, format
// conversion and remove_small_boxes' stream compaction. Formulas: detseg/box_math.cuh, shared with
// the CPU backend. Every kernel is deterministic (no float atomics); all loops grid-stride.
#include "detseg/box_device.cuh"
#include "detseg/box_math.cuh"
#include "detseg/kernel_api.cuh"

struct ds_boxes_giou_pair {
  __device__ __forceinline__ float operator()(const DsBox& a, float area_a, float x1, float y1, float x2, float y2,
                                              float area_b) const {
    return ds_box_giou(a.x1, a.y1, a.x2, a.y2, area_a, x1, y1, x2, y2, area_b);
  }
};

// ---- area ---------------------------------------------------------------------------------------------
// Bound: memory (16 B read, 4 B written per box; 3 flops). Block 256, 1-D grid-stride, one box per thread.
extern "C" __global__ void ds_boxes_area_f32(const float* __restrict__ boxes, long long n, float* __restrict__ out) {
  const bool al = ds_boxes_aligned16(boxes);
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    out[i] = ds_box_area(ds_boxes_load(boxes, i, al));
  }
}
DS_EXPORT_KERNEL(ds_boxes_area_f32)

// Bound: memory (20 B read, 16 B written per box). Block 256, 1-D grid-stride.
extern "C" __global__ void ds_boxes_area_backward_f32(const float* __restrict__ grad, const float* __restrict__ boxes,
                                                      long long n, float* __restrict__ out) {
  const bool al = ds_boxes_aligned16(boxes) && ds_boxes_aligned16(out);
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    const DsBox b = ds_boxes_load(boxes, i, al);
    const float g = __ldg(grad + i);
    const float w = ds_sub_rn(b.x2, b.x1), h = ds_sub_rn(b.y2, b.y1);
    DsBox o;
    o.x1 = -ds_mul_rn(g, h);
    o.y1 = -ds_mul_rn(g, w);
    o.x2 = ds_mul_rn(g, h);
    o.y2 = ds_mul_rn(g, w);
    ds_boxes_store(out, i, o, al);
  }
}
DS_EXPORT_KERNEL(ds_boxes_area_backward_f32)

// ---- generalized IoU ----------------------------------------------------------------------------------
// Bound: memory on the n*m float stores (~25 flops and 2 divisions per output). Block (32, 8) as
// box_iou: a tile of 32 boxes2 (with areas) in shared memory serves 8 rows at a time, a warp writes
// 128 contiguous bytes of a row; both grid dimensions grid-stride (grid.y capped at 65535).
extern "C" __global__ void ds_boxes_giou_f32(const float* __restrict__ boxes1, int n, const float* __restrict__ boxes2,
                                             int m, float* __restrict__ out) {
  ds_boxes_pairwise(boxes1, n, boxes2, m, out, ds_boxes_giou_pair());
}
DS_EXPORT_KERNEL(ds_boxes_giou_f32)

// grad1[i] = sum over j of d giou(i, j) / d boxes1[i] * grad[i, j].
// Bound: compute (~90 flops and 5 divisions per pair; grad rows and boxes2 stream through coalesced,
// 4 B and 16 B per lane). Block (32, 8): one warp per row, lanes stride the row's columns in order and
// fold with __shfl_down_sync (fixed order: bitwise reproducible); rows grid-stride over grid.x.
extern "C" __global__ void ds_boxes_giou_backward_rows_f32(const float* __restrict__ grad,
                                                           const float* __restrict__ boxes1, int n,
                                                           const float* __restrict__ boxes2, int m,
                                                           float* __restrict__ grad1) {
  const bool al1 = ds_boxes_aligned16(boxes1), al2 = ds_boxes_aligned16(boxes2);
  const bool alo = ds_boxes_aligned16(grad1);
  for (long long i = (long long)blockIdx.x * blockDim.y + threadIdx.y; i < n; i += (long long)gridDim.x * blockDim.y) {
    const DsBox a = ds_boxes_load(boxes1, i, al1);
    const float* __restrict__ g = grad + i * m;
    DsBox ga = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int j = threadIdx.x; j < m; j += 32) {
      DsBox gb = {0.0f, 0.0f, 0.0f, 0.0f};
      ds_box_giou_backward(__ldg(g + j), a, ds_boxes_load(boxes2, j, al2), &ga, &gb);
    }
    ga.x1 = ds_boxes_warp_sum(ga.x1);
    ga.y1 = ds_boxes_warp_sum(ga.y1);
    ga.x2 = ds_boxes_warp_sum(ga.x2);
    ga.y2 = ds_boxes_warp_sum(ga.y2);
    if (threadIdx.x == 0) ds_boxes_store(grad1, i, ga, alo);
  }
}
DS_EXPORT_KERNEL(ds_boxes_giou_backward_rows_f32)

// grad2[j] = sum over i of d giou(i, j) / d boxes2[j] * grad[i, j].
// Bound: compute (as the rows kernel). Block (32, 8): threadIdx.x picks a column (a warp reads 128
// contiguous bytes of a grad row; boxes1[i] is a broadcast), threadIdx.y a residue class of rows;
// the 8 partial sums meet in shared memory and thread y = 0 adds them in y order (deterministic).
// Column tiles grid-stride over grid.x (the loop is block-uniform, so barriers stay convergent).
extern "C" __global__ void ds_boxes_giou_backward_cols_f32(const float* __restrict__ grad,
                                                           const float* __restrict__ boxes1, int n,
                                                           const float* __restrict__ boxes2, int m,
                                                           float* __restrict__ grad2) {
  DS_SHARED(float, s_part, 8 * 32 * 4);
  const bool al1 = ds_boxes_aligned16(boxes1), al2 = ds_boxes_aligned16(boxes2);
  const bool alo = ds_boxes_aligned16(grad2);
  const int tx = threadIdx.x, ty = threadIdx.y;
  for (long long j0 = (long long)blockIdx.x * 32; j0 < m; j0 += (long long)gridDim.x * 32) {
    const long long j = j0 + tx;
    DsBox gb = {0.0f, 0.0f, 0.0f, 0.0f};
    if (j < m) {
      const DsBox b = ds_boxes_load(boxes2, j, al2);
      for (long long i = ty; i < n; i += blockDim.y) {
        DsBox ga = {0.0f, 0.0f, 0.0f, 0.0f};
        ds_box_giou_backward(__ldg(grad + i * m + j), ds_boxes_load(boxes1, i, al1), b, &ga, &gb);
      }
    }
    float* p = s_part + (ty * 32 + tx) * 4;
    p[0] = gb.x1;
    p[1] = gb.y1;
    p[2] = gb.x2;
    p[3] = gb.y2;
    __syncthreads();
    if (ty == 0 && j < m) {
      DsBox s = gb;
      for (int y = 1; y < (int)blockDim.y; ++y) {
        const float* q = s_part + (y * 32 + tx) * 4;
        s.x1 += q[0];
        s.y1 += q[1];
        s.x2 += q[2];
        s.y2 += q[3];
      }
      ds_boxes_store(grad2, j, s, alo);
    }
    __syncthreads();  // s_part is rewritten by the next tile
  }
}
DS_EXPORT_KERNEL(ds_boxes_giou_backward_cols_f32)

// ---- clipping -----------------------------------------------------------------------------------------
// Bound: memory (4 B in, 4 B out per coordinate). Block 256, 1-D grid-stride over coordinates: even
// positions are x (clamped to [0, width]), odd ones y ([0, height]); consecutive threads, consecutive words.
extern "C" __global__ void ds_boxes_clip_f32(const float* __restrict__ boxes, long long count, float height,
                                             float width, float* __restrict__ out) {
  for (long long k = (long long)blockIdx.x * blockDim.x + threadIdx.x; k < count; k += (long long)gridDim.x * blockDim.x) {
    out[k] = ds_box_clamp(__ldg(boxes + k), 0.0f, (k & 1) ? height : width);
  }
}
DS_EXPORT_KERNEL(ds_boxes_clip_f32)

// Bound: memory (8 B in, 4 B out per coordinate). Launch shape as the forward.
extern "C" __global__ void ds_boxes_clip_backward_f32(const float* __restrict__ grad, const float* __restrict__ boxes,
                                                      long long count, float height, float width,
                                                      float* __restrict__ out) {
  for (long long k = (long long)blockIdx.x * blockDim.x + threadIdx.x; k < count; k += (long long)gridDim.x * blockDim.x) {
    out[k] = ds_box_clamp_backward(__ldg(grad + k), __ldg(boxes + k), 0.0f, (k & 1) ? height : width);
  }
}
DS_EXPORT_KERNEL(ds_boxes_clip_backward_f32)

// ---- format conversion --------------------------------------------------------------------------------
// Bound: memory (16 B in and out per box). Block 256, 1-D grid-stride, one box (one float4) per thread.
// backward != 0 applies the transposed Jacobian to a gradient instead.
extern "C" __global__ void ds_boxes_convert_f32(const float* __restrict__ in, long long n, int in_fmt, int out_fmt,
                                                int backward, float* __restrict__ out) {
  const bool al = ds_boxes_aligned16(in) && ds_boxes_aligned16(out);
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    const DsBox b = ds_boxes_load(in, i, al);
    ds_boxes_store(out, i, backward ? ds_box_convert_backward(b, in_fmt, out_fmt) : ds_box_convert(b, in_fmt, out_fmt),
                   al);
  }
}
DS_EXPORT_KERNEL(ds_boxes_convert_f32)

// ---- remove_small_boxes: count, scan, scatter (indices stay in ascending order) ------------------------
// Block b owns the contiguous chunk [b * chunk, (b + 1) * chunk) of boxes.

// Bound: memory (16 B per box). Block 256 (grid <= 1024 chunks): threads stride the chunk, a block sum
// (warp shuffles, then shared memory) gives its count.
extern "C" __global__ void ds_boxes_small_count_i32(const float* __restrict__ boxes, long long n, float min_size,
                                                    long long chunk, int* __restrict__ counts) {
  DS_SHARED(int, s_warp, 32);
  const bool al = ds_boxes_aligned16(boxes);
  const long long lo = (long long)blockIdx.x * chunk;
  const long long hi = lo + chunk < n ? lo + chunk : n;
  int c = 0;
  for (long long i = lo + threadIdx.x; i < hi; i += blockDim.x) {
    const DsBox b = ds_boxes_load(boxes, i, al);
    c += ds_box_is_large(b.x1, b.y1, b.x2, b.y2, min_size) ? 1 : 0;
  }
  c = ds_boxes_block_sum(c, s_warp);
  if (threadIdx.x == 0) counts[blockIdx.x] = c;
}
DS_EXPORT_KERNEL(ds_boxes_small_count_i32)

// Exclusive scan of g <= 1024 chunk counts: offsets[b] and *total. Bound: latency (one warp; each lane
// sums a contiguous segment, the lanes scan with __shfl_up_sync, then write their segment's offsets).
extern "C" __global__ void ds_boxes_scan_counts_i32(const int* __restrict__ counts, int g, int* __restrict__ offsets,
                                                    int* __restrict__ total) {
  const int lane = threadIdx.x;
  const int seg = (g + 31) / 32;
  const int lo = lane * seg < g ? lane * seg : g;
  const int hi = lo + seg < g ? lo + seg : g;
  int s = 0;
  for (int b = lo; b < hi; ++b) s += counts[b];
  int incl = s;
  for (int d = 1; d < 32; d <<= 1) {
    const int v = __shfl_up_sync(0xffffffffu, incl, d);
    if (lane >= d) incl += v;
  }
  int run = incl - s;
  for (int b = lo; b < hi; ++b) {
    offsets[b] = run;
    run += counts[b];
  }
  if (lane == 31) *total = incl;
}
DS_EXPORT_KERNEL(ds_boxes_scan_counts_i32)

// Bound: memory (16 B read per box, 4 B written per kept one). Block 256 walks its chunk in tiles of
// 256 boxes: a warp ballot ranks the kept boxes of a warp, warp totals in shared memory rank the
// warps, so indices are written in ascending order at offsets[b] + rank (coalesced).
extern "C" __global__ void ds_boxes_small_scatter_i32(const float* __restrict__ boxes, long long n, float min_size,
                                                      long long chunk, const int* __restrict__ offsets,
                                                      int* __restrict__ out) {
  DS_SHARED(int, s_warp, 32);
  const bool al = ds_boxes_aligned16(boxes);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
  const long long lo = (long long)blockIdx.x * chunk;
  const long long hi = lo + chunk < n ? lo + chunk : n;
  int base = offsets[blockIdx.x];
  for (long long t0 = lo; t0 < hi; t0 += blockDim.x) {  // block-uniform
    const long long i = t0 + threadIdx.x;
    bool keep = false;
    if (i < hi) {
      const DsBox b = ds_boxes_load(boxes, i, al);
      keep = ds_box_is_large(b.x1, b.y1, b.x2, b.y2, min_size);
    }
    const unsigned ballot = __ballot_sync(0xffffffffu, keep);
    if (lane == 0) s_warp[warp] = __popc(ballot);
    __syncthreads();
    int before = 0, tile_total = 0;
    for (int w = 0; w < nwarps; ++w) {
      const int c = s_warp[w];
      before += w < warp ? c : 0;
      tile_total += c;
    }
    if (keep) out[base + before + __popc(ballot & ((1u << lane) - 1u))] = (int)i;
    base += tile_total;
    __syncthreads();  // s_warp is rewritten by the next tile
  }
}
DS_EXPORT_KERNEL(ds_boxes_small_scatter_i32)
