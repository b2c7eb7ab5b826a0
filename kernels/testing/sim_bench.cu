// Test-only kernel (native/tests/test_speed.cpp): two barriers per thread and little else, so the
// launch time is the simulator's scheduling and switching cost.
#include "detseg/kernel_api.cuh"

extern "C" __global__ void simtest_two_barriers(float* out) {
  DS_SHARED(float, s, 1024);
  const unsigned t = threadIdx.x;
  s[t] = (float)t;
  __syncthreads();
  const float v = s[blockDim.x - 1 - t];
  __syncthreads();
  out[(unsigned long long)blockIdx.x * blockDim.x + t] = v;
}
DS_EXPORT_KERNEL(simtest_two_barriers)
