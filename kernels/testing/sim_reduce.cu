// Test-only kernels (native/tests/test_reduce.cpp): correct block reductions that must give the
// same bits under every thread schedule.
#include "detseg/kernel_api.cuh"

// Warp shuffles, warp sums through static shared memory, then warp 0 folds them. Any block size:
// in a partial last warp, values shuffled from absent lanes are undefined and are not added.
extern "C" __global__ void simtest_block_sum(const float* in, float* out, int n) {
  DS_SHARED(float, warp_sums, 32);
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int lanes = min(32, (int)blockDim.x - warp * 32);
  float v = i < n ? in[i] : 0.0f;
  for (int offset = 16; offset > 0; offset >>= 1) {
    const float other = __shfl_down_sync(0xffffffffu, v, offset);
    if (lane + offset < lanes) v += other;
  }
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  if (warp == 0) {
    const int nwarps = (blockDim.x + 31) >> 5;
    v = lane < nwarps ? warp_sums[lane] : 0.0f;
    for (int mask = 16; mask > 0; mask >>= 1) v += __shfl_xor_sync(0xffffffffu, v, mask);
    if (lane == 0) out[blockIdx.x] = v;
  }
}
DS_EXPORT_KERNEL(simtest_block_sum)

// Tree reduction in dynamic shared memory (blockDim.x floats), one barrier per level.
extern "C" __global__ void simtest_tree_sum(const float* in, float* out, int n) {
  DS_SHARED_DYNAMIC(float, s);
  const unsigned t = threadIdx.x;
  const int i = blockIdx.x * blockDim.x + t;
  s[t] = i < n ? in[i] : 0.0f;
  __syncthreads();
  for (unsigned stride = blockDim.x / 2; stride > 0; stride >>= 1) {
    if (t < stride) s[t] += s[t + stride];
    __syncthreads();
  }
  if (t == 0) out[blockIdx.x] = s[0];
}
DS_EXPORT_KERNEL(simtest_tree_sum)
