// Device-side helpers of the loss kernels (kernels/loss_*.cu only; not for the CPU backend): the
// deterministic block reductions every loss kernel ends with.
//
// Determinism: a loss kernel's partial sums depend only on (n, grid, block). Each thread folds its
// grid-stride elements in index order; each warp folds its 32 lanes with __shfl_down_sync (offsets 16,
// 8, 4, 2, 1); warp results go to shared memory and warp 0 folds them in warp order; block b writes
// partials[b]. A single-block final kernel (ds_loss_finalize_f32) folds the partials in block order.
// No float atomics anywhere, so every run (and both simulator schedules) gives the same bits.
#pragma once

#include "detseg/kernel_api.cuh"
#include "detseg/loss_math.cuh"
#include "detseg/reduce_math.cuh"

__device__ __forceinline__ float ds_loss_warp_sum(float v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
  return v;
}

__device__ __forceinline__ double ds_loss_warp_sum_d(double v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
  return v;
}

// Sums a and b over the block (results valid in thread 0). s: 64 floats of shared memory. Every
// thread of the block must call it (it has a barrier); blockDim.x is a multiple of 32, <= 1024.
__device__ __forceinline__ void ds_loss_block_sum2(float& a, float& b, float* s) {
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  const int nwarps = blockDim.x >> 5;
  a = ds_loss_warp_sum(a);
  b = ds_loss_warp_sum(b);
  if (lane == 0) {
    s[warp] = a;
    s[32 + warp] = b;
  }
  __syncthreads();
  if (warp == 0) {
    a = lane < nwarps ? s[lane] : 0.0f;
    b = lane < nwarps ? s[32 + lane] : 0.0f;
    a = ds_loss_warp_sum(a);
    b = ds_loss_warp_sum(b);
  }
}

// Writes the block's sums of (a, b) to partials[blockIdx.x] and partials[gridDim.x + blockIdx.x].
__device__ __forceinline__ void ds_loss_store_partials2(float a, float b, float* __restrict__ partials,
                                                        float* s) {
  ds_loss_block_sum2(a, b, s);
  if (threadIdx.x == 0) {
    partials[blockIdx.x] = a;
    partials[gridDim.x + blockIdx.x] = b;
  }
}

// Online log-sum-exp state: m = running max, s = sum of exp(x - m). Combining two states is exact
// up to rounding; m == -inf (nothing or only -inf seen) is handled without inf - inf.
struct DsLossLse {
  float m, s;
};

__device__ __forceinline__ void ds_loss_lse_add(DsLossLse& st, float v) {
  if (v > st.m) {
    st.s = (st.m == -INFINITY ? 0.0f : st.s * ds_loss_exp(st.m - v)) + 1.0f;
    st.m = v;
  } else if (v != -INFINITY) {  // exp(-inf) adds nothing (and -inf - -inf would be NaN)
    st.s += ds_loss_exp(v - st.m);  // a NaN v makes s NaN
  }
}

__device__ __forceinline__ DsLossLse ds_loss_lse_merge(DsLossLse a, DsLossLse b) {
  DsLossLse r;
  r.m = ds_max_nan(a.m, b.m);
  const float sa = a.m == r.m ? a.s : a.s * ds_loss_exp(a.m - r.m);
  const float sb = b.m == r.m ? b.s : b.s * ds_loss_exp(b.m - r.m);
  r.s = sa + sb;
  return r;
}
