// Pairwise IoU of two sets of xyxy boxes: out[i * m + j] = IoU(boxes1[i], boxes2[j]), with
// torchvision.ops.box_iou semantics (formula in detseg/box_math.cuh, shared with the CPU backend).
// Contract: docs/KERNEL_CONTRACTS.md.
//
// A block owns a tile of 32 boxes2 columns (staged in shared memory together with their areas, so
// each box2 is read from global memory and its area computed once per block, not once per row) and
// walks rows of boxes1; consecutive threadIdx.x take consecutive columns, so a warp stores 128
// contiguous bytes of a row. Both dimensions grid-stride (the column tile loop is block-uniform, which
// keeps the barriers convergent), so any grid is correct, including a grid.y capped at 65535.
#include "detseg/box_math.cuh"
#include "detseg/kernel_api.cuh"

#define DS_IOU_TILE_M 32  // columns of boxes2 per shared-memory tile

DS_HD bool ds_iou_aligned16(const void* p) { return (reinterpret_cast<unsigned long long>(p) & 15ull) == 0; }

// Box k of a packed xyxy array: one 128-bit load when the array is 16-byte aligned.
__device__ __forceinline__ DsBox ds_iou_load_box(const float* __restrict__ boxes, long long k, bool aligned) {
  DsBox b;
  if (aligned) {
    const float4 v = __ldg(reinterpret_cast<const float4*>(boxes) + k);
    b.x1 = v.x;
    b.y1 = v.y;
    b.x2 = v.z;
    b.y2 = v.w;
  } else {
    const float* p = boxes + 4 * k;
    b.x1 = __ldg(p);
    b.y1 = __ldg(p + 1);
    b.x2 = __ldg(p + 2);
    b.y2 = __ldg(p + 3);
  }
  return b;
}

// Bound: memory on the n*m float stores (each output is ~12 flops and one IEEE division, inputs come
// from shared memory and broadcast loads). Block (32, 8): a warp writes one 128-byte row segment,
// 8 rows share a tile; grid (ceil(m/32), ceil(n/8)) gives one output per thread.
extern "C" __global__ void ds_box_iou_f32(const float* __restrict__ boxes1, int n, const float* __restrict__ boxes2,
                                          int m, float* __restrict__ out) {
  DS_SHARED(float, s_x1, DS_IOU_TILE_M);
  DS_SHARED(float, s_y1, DS_IOU_TILE_M);
  DS_SHARED(float, s_x2, DS_IOU_TILE_M);
  DS_SHARED(float, s_y2, DS_IOU_TILE_M);
  DS_SHARED(float, s_area, DS_IOU_TILE_M);
  const int nthreads = blockDim.x * blockDim.y;
  const int flat = threadIdx.y * blockDim.x + threadIdx.x;
  const bool aligned1 = ds_iou_aligned16(boxes1);
  const bool aligned2 = ds_iou_aligned16(boxes2);
  const long long row_stride = (long long)gridDim.y * blockDim.y;
  for (long long j0 = (long long)blockIdx.x * DS_IOU_TILE_M; j0 < m; j0 += (long long)gridDim.x * DS_IOU_TILE_M) {
    const int tile = (m - j0) < DS_IOU_TILE_M ? (int)(m - j0) : DS_IOU_TILE_M;
    for (int t = flat; t < tile; t += nthreads) {
      const DsBox b = ds_iou_load_box(boxes2, j0 + t, aligned2);
      s_x1[t] = b.x1;
      s_y1[t] = b.y1;
      s_x2[t] = b.x2;
      s_y2[t] = b.y2;
      s_area[t] = ds_box_area(b);
    }
    __syncthreads();
    for (long long i = (long long)blockIdx.y * blockDim.y + threadIdx.y; i < n; i += row_stride) {
      const DsBox a = ds_iou_load_box(boxes1, i, aligned1);  // same address across the warp: broadcast
      const float area_a = ds_box_area(a);
      float* __restrict__ row = out + i * m + j0;  // 64-bit: n * m can exceed 2^31
      for (int t = threadIdx.x; t < tile; t += blockDim.x) {
        row[t] = ds_box_iou(a.x1, a.y1, a.x2, a.y2, area_a, s_x1[t], s_y1[t], s_x2[t], s_y2[t], s_area[t]);
      }
    }
    __syncthreads();  // the next tile overwrites shared memory
  }
}
DS_EXPORT_KERNEL(ds_box_iou_f32)
