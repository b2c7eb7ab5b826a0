// The simulator's launch-cost benchmark (bench/ SimulatorLaunchBenchmark): every thread passes two
// block barriers, so the figure is dominated by fiber switches, not by arithmetic.
#include "detseg/kernel_api.cuh"

extern "C" __global__ void ds_test_two_barriers(float* out) {
  DS_SHARED(float, tile, 1024);
  unsigned t = threadIdx.x;
  tile[t] = static_cast<float>(t);
  __syncthreads();
  float right = tile[(t + 1) % blockDim.x];
  __syncthreads();
  tile[t] = right;
  if (t == 0) out[blockIdx.x] = tile[0];
}
DS_EXPORT_KERNEL(ds_test_two_barriers)
