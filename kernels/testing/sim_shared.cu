// Test-only kernels (native/tests/test_shared.cpp): dynamic + static shared memory.
#include "detseg/kernel_api.cuh"

// Records where each thread's shared arrays are (3 addresses per thread) and mixes their values.
extern "C" __global__ void simtest_shared_layout(unsigned long long* where, float* values) {
  DS_SHARED_DYNAMIC(float, dyn);
  DS_SHARED(int, a, 3);
  DS_SHARED(double, b, 5);
  const unsigned t = threadIdx.x, g = blockIdx.x * blockDim.x + t;
  where[g * 3] = (unsigned long long)dyn;
  where[g * 3 + 1] = (unsigned long long)a;
  where[g * 3 + 2] = (unsigned long long)b;
  dyn[t] = (float)(t + 100 * blockIdx.x);
  if (t < 3) a[t] = 10 * (t + 1);
  if (t < 5) b[t] = 0.5 * t;
  __syncthreads();
  values[g] = dyn[blockDim.x - 1 - t] + (float)a[t % 3] + (float)b[t % 5];
}
DS_EXPORT_KERNEL(simtest_shared_layout)

// Reads shared memory nobody wrote: poison_shared turns that into NaN.
extern "C" __global__ void simtest_shared_unwritten(float* out) {
  DS_SHARED(float, s, 64);
  out[threadIdx.x] = s[threadIdx.x];
}
DS_EXPORT_KERNEL(simtest_shared_unwritten)

// 40 KiB of static shared memory plus whatever dynamic memory the launch gives.
extern "C" __global__ void simtest_shared_40k(float* out) {
  DS_SHARED(float, big, 10240);
  DS_SHARED_DYNAMIC(float, dyn);
  big[threadIdx.x] = 1.0f;
  dyn[threadIdx.x] = 2.0f;
  __syncthreads();
  out[threadIdx.x] = big[blockDim.x - 1 - threadIdx.x] + dyn[threadIdx.x];
}
DS_EXPORT_KERNEL(simtest_shared_40k)
