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
