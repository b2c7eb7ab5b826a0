// Device-side helpers of the box family's kernels (kernels/boxes_*.cu): loading and storing xyxy
// boxes as one 128-bit access when the array is 16-byte aligned, and small warp/block reductions.
// Kernel code only (the CPU backend does not include this).
#pragma once

#include "detseg/box_math.cuh"
#include "detseg/kernel_api.cuh"

__device__ __forceinline__ bool ds_boxes_aligned16(const void* p) {
  return (reinterpret_cast<unsigned long long>(p) & 15ull) == 0;
}

// Box k of a packed [*, 4] float array.
__device__ __forceinline__ DsBox ds_boxes_load(const float* __restrict__ boxes, long long k, bool aligned) {
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

__device__ __forceinline__ void ds_boxes_store(float* __restrict__ boxes, long long k, const DsBox& b, bool aligned) {
  if (aligned) {
    reinterpret_cast<float4*>(boxes)[k] = make_float4(b.x1, b.y1, b.x2, b.y2);
  } else {
    float* p = boxes + 4 * k;
    p[0] = b.x1;
    p[1] = b.y1;
    p[2] = b.x2;
    p[3] = b.y2;
  }
}

// Sum over the 32 lanes of a full warp, folded by __shfl_down_sync (offsets 16..1: a fixed order);
// the result is valid in lane 0.
template <class T>
__device__ __forceinline__ T ds_boxes_warp_sum(T v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
  return v;
}

// Sum over a block whose size is a multiple of 32 (at most 1024); valid in thread 0. Every thread must
// call it (it has a barrier); s_warp holds 32 slots.
template <class T>
__device__ __forceinline__ T ds_boxes_block_sum(T v, T* s_warp) {
  const int flat = threadIdx.y * blockDim.x + threadIdx.x;
  const int lane = flat & 31, warp = flat >> 5;
  const int nwarps = (blockDim.x * blockDim.y + 31) >> 5;
  v = ds_boxes_warp_sum(v);
  if (lane == 0) s_warp[warp] = v;
  __syncthreads();
  T total = 0;
  if (warp == 0) {
    total = lane < nwarps ? s_warp[lane] : T(0);
    total = ds_boxes_warp_sum(total);
  }
  return total;
}

// Pairwise [n, m] outputs out[i * m + j] = pair(boxes1[i], boxes2[j]) (box_iou, generalized_box_iou):
// a tile of DS_BOXES_PAIR_TILE boxes2 (with their areas) staged in shared memory serves blockDim.y rows
// at a time; lanes of a warp write consecutive columns of one row. Both grid dimensions grid-stride.
// Pair is a functor: float operator()(DsBox a, float area_a, x1, y1, x2, y2, area_b) of one pair.
#define DS_BOXES_PAIR_TILE 32

template <class Pair>
__device__ __forceinline__ void ds_boxes_pairwise(const float* __restrict__ boxes1, int n,
                                                  const float* __restrict__ boxes2, int m, float* __restrict__ out,
                                                  Pair pair) {
  DS_SHARED(float, s_x1, DS_BOXES_PAIR_TILE);
  DS_SHARED(float, s_y1, DS_BOXES_PAIR_TILE);
  DS_SHARED(float, s_x2, DS_BOXES_PAIR_TILE);
  DS_SHARED(float, s_y2, DS_BOXES_PAIR_TILE);
  DS_SHARED(float, s_area, DS_BOXES_PAIR_TILE);
  const int nthreads = blockDim.x * blockDim.y;
  const int flat = threadIdx.y * blockDim.x + threadIdx.x;
  const bool al1 = ds_boxes_aligned16(boxes1), al2 = ds_boxes_aligned16(boxes2);
  const long long row_stride = (long long)gridDim.y * blockDim.y;
  for (long long j0 = (long long)blockIdx.x * DS_BOXES_PAIR_TILE; j0 < m;
       j0 += (long long)gridDim.x * DS_BOXES_PAIR_TILE) {
    const int tile = (m - j0) < DS_BOXES_PAIR_TILE ? (int)(m - j0) : DS_BOXES_PAIR_TILE;
    for (int t = flat; t < tile; t += nthreads) {
      const DsBox b = ds_boxes_load(boxes2, j0 + t, al2);
      s_x1[t] = b.x1;
      s_y1[t] = b.y1;
      s_x2[t] = b.x2;
      s_y2[t] = b.y2;
      s_area[t] = ds_box_area(b);
    }
    __syncthreads();
    for (long long i = (long long)blockIdx.y * blockDim.y + threadIdx.y; i < n; i += row_stride) {
      const DsBox a = ds_boxes_load(boxes1, i, al1);  // same address across the warp: broadcast
      const float area_a = ds_box_area(a);
      float* __restrict__ row = out + i * m + j0;  // 64-bit: n * m can exceed 2^31
      for (int t = threadIdx.x; t < tile; t += blockDim.x) {
        row[t] = pair(a, area_a, s_x1[t], s_y1[t], s_x2[t], s_y2[t], s_area[t]);
      }
    }
    __syncthreads();  // the next tile overwrites shared memory
  }
}

