// Test-only kernel (native/tests/test_intrinsics.cpp): integer and float intrinsics, the global
// min/max overloads and isnan/isinf as kernels use them.
#include "detseg/kernel_api.cuh"

extern "C" __global__ void simtest_intrinsics(const float* in, unsigned* u, float* f) {
  if (threadIdx.x != 0) return;
  const float nan = in[0], inf = in[1];
  u[0] = __popc(0xf0f0u);
  u[1] = __popcll(~0ull);
  u[2] = __ffs(0);
  u[3] = __ffs(8);
  u[4] = __ffsll(1ll << 40);
  u[5] = __clz(0);
  u[6] = __clz(1);
  u[7] = __clzll(1);
  u[8] = __brev(1u);
  u[9] = __brev(0x12345678u);
  u[10] = __umulhi(0xffffffffu, 0xffffffffu);
  u[11] = (unsigned)__mul24(-3, 0x1000005);
  u[12] = min(3, 5);
  u[13] = max(3u, 7u);
  u[14] = (unsigned)min(-1LL, 2LL);
  u[15] = isnan(nan) ? 1 : 0;
  u[16] = isinf(inf) ? 1 : 0;
  u[17] = __float_as_uint(1.0f);
  u[18] = (unsigned)__float_as_int(-2.0f);
  u[19] = max(2u, 5);  // mixed signedness resolves to unsigned, as in CUDA
  f[0] = __saturatef(1.5f);
  f[1] = __saturatef(-0.5f);
  f[2] = __saturatef(nan);
  f[3] = rsqrtf(4.0f);
  f[4] = __fdividef(1.0f, 4.0f);
  f[5] = __int_as_float(0x3f800000);
  f[6] = max(1.0f, nan);
  f[7] = __frcp_rn(8.0f);
  f[8] = __expf(0.0f) + __logf(1.0f);
  f[9] = __fmaf_rn(2.0f, 3.0f, 1.0f);
  f[10] = copysignf(2.0f, -1.0f);
  f[11] = __uint_as_float(0x40000000u);
  f[12] = (float)min(2.5, 1.5);
}
DS_EXPORT_KERNEL(simtest_intrinsics)
