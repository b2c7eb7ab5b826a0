// Test-only kernels (native/tests/test_barriers.cpp): __syncthreads_count / _and / _or in a 3-D block.
#include "detseg/kernel_api.cuh"

extern "C" __global__ void simtest_sync_votes(const int* pred, int* out) {
  const unsigned threads = blockDim.x * blockDim.y * blockDim.z;
  const unsigned t = (threadIdx.z * blockDim.y + threadIdx.y) * blockDim.x + threadIdx.x;
  const unsigned g = blockIdx.x * threads + t;
  const int p = pred[g];
  const int count = __syncthreads_count(p);
  const int all = __syncthreads_and(p);
  const int any = __syncthreads_or(p);
  out[g * 3] = count;
  out[g * 3 + 1] = all;
  out[g * 3 + 2] = any;
}
DS_EXPORT_KERNEL(simtest_sync_votes)
