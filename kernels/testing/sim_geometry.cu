// Test-only kernels (simulator tests, native/tests/test_geometry.cpp): thread geometry and
// argument passing.
#include "detseg/kernel_api.cuh"

// Every thread writes 12 values at its global linear index (blocks and threads both x fastest):
// threadIdx, blockIdx, blockDim, gridDim.
extern "C" __global__ void simtest_indices(unsigned* out) {
  const unsigned long long block =
      ((unsigned long long)blockIdx.z * gridDim.y + blockIdx.y) * gridDim.x + blockIdx.x;
  const unsigned threads = blockDim.x * blockDim.y * blockDim.z;
  const unsigned t = (threadIdx.z * blockDim.y + threadIdx.y) * blockDim.x + threadIdx.x;
  unsigned* o = out + (block * threads + t) * 12;
  o[0] = threadIdx.x;
  o[1] = threadIdx.y;
  o[2] = threadIdx.z;
  o[3] = blockIdx.x;
  o[4] = blockIdx.y;
  o[5] = blockIdx.z;
  o[6] = blockDim.x;
  o[7] = blockDim.y;
  o[8] = blockDim.z;
  o[9] = gridDim.x;
  o[10] = gridDim.y;
  o[11] = gridDim.z;
}
DS_EXPORT_KERNEL(simtest_indices)

struct SimtestPair {
  int a;
  double b;
};

// Parameters of many sizes and alignments; thread 0 echoes them as doubles.
extern "C" __global__ void simtest_args(char c, int i, long long ll, float f, double d, float4 v, SimtestPair p,
                                        double* out) {
  if (threadIdx.x != 0 || blockIdx.x != 0) return;
  out[0] = c;
  out[1] = i;
  out[2] = (double)ll;
  out[3] = f;
  out[4] = d;
  out[5] = v.x + 10.0f * v.y + 100.0f * v.z + 1000.0f * v.w;
  out[6] = p.a;
  out[7] = p.b;
}
DS_EXPORT_KERNEL(simtest_args)
