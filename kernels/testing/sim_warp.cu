// Test-only kernels (native/tests/test_warp.cpp): every warp intrinsic.
#include "detseg/kernel_api.cuh"

// out[t] = in[] shuffled by mode (0 idx, 1 up, 2 down, 3 xor) with arg and width, full mask.
extern "C" __global__ void simtest_shfl_int(const int* in, int* out, int mode, int arg, int width) {
  const int t = blockIdx.x * blockDim.x + threadIdx.x;
  const int v = in[t];
  int r = 0;
  switch (mode) {
    case 0: r = __shfl_sync(0xffffffffu, v, arg, width); break;
    case 1: r = __shfl_up_sync(0xffffffffu, v, (unsigned)arg, width); break;
    case 2: r = __shfl_down_sync(0xffffffffu, v, (unsigned)arg, width); break;
    default: r = __shfl_xor_sync(0xffffffffu, v, arg, width); break;
  }
  out[t] = r;
}
DS_EXPORT_KERNEL(simtest_shfl_int)

// The other value types: 64-bit values must move whole, floats bit-exact.
extern "C" __global__ void simtest_shfl_types(const double* in, float* out_f, double* out_d, long long* out_ll,
                                              unsigned long long* out_ull, unsigned* out_u) {
  const unsigned t = threadIdx.x, lane = t & 31;
  out_f[t] = __shfl_down_sync(0xffffffffu, (float)in[t], 3);
  out_d[t] = __shfl_xor_sync(0xffffffffu, in[t], 5);
  out_ll[t] = __shfl_up_sync(0xffffffffu, (long long)t * -1000000000000LL, 2);
  out_ull[t] = __shfl_sync(0xffffffffu, (unsigned long long)t << 40, 31 - lane);
  out_u[t] = __shfl_sync(0xffffffffu, t, 7, 8);
}
DS_EXPORT_KERNEL(simtest_shfl_types)

// Votes over the full warp and over half warps, then __syncwarp and __activemask.
extern "C" __global__ void simtest_votes(const int* pred, unsigned* out) {
  const int t = blockIdx.x * blockDim.x + threadIdx.x;
  const int p = pred[t];
  unsigned* o = out + t * 6;
  o[0] = __ballot_sync(0xffffffffu, p);
  o[1] = __any_sync(0xffffffffu, p);
  o[2] = __all_sync(0xffffffffu, p);
  const unsigned half = (threadIdx.x & 16) ? 0xffff0000u : 0x0000ffffu;
  o[3] = __ballot_sync(half, p);
  o[4] = __all_sync(half, p);
  __syncwarp();
  o[5] = __activemask();
}
DS_EXPORT_KERNEL(simtest_votes)

// Lanes 20..31 exit; the others take __activemask and shuffle with it. out[t]: the mask,
// out[blockDim.x + t]: the lane read by a rotate-down-by-one within the active lanes.
extern "C" __global__ void simtest_activemask(unsigned* out) {
  const unsigned lane = threadIdx.x & 31;
  out[threadIdx.x] = 0;
  out[blockDim.x + threadIdx.x] = 0;
  if (lane >= 20) return;
  const unsigned active = __activemask();
  const unsigned lanes = __popc(active);
  out[threadIdx.x] = active;
  out[blockDim.x + threadIdx.x] = __shfl_sync(active, lane, (lane + 1) % lanes);
}
DS_EXPORT_KERNEL(simtest_activemask)
