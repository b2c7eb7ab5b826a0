// Test-only kernels (native/tests/test_atomics.cpp): every atomic, from many blocks at once.
#include "detseg/kernel_api.cuh"

// ints: [0] add 1, [1] sub 2, [2] max g, [3] min -g, [4] CAS-loop increment, [5] exch g
// uints: [0] add 3, [1] or bit, [2] and ~bit (from all ones), [3] xor bit (g % 4), [4] inc wrap 1000
// ulls: [0] add g, [1] max 3g, [2] min (from all ones), [3] or bit (g % 64)
extern "C" __global__ void simtest_atomics(int* ints, unsigned* uints, unsigned long long* ulls, long long* lls,
                                           float* f, double* d, unsigned short* shorts) {
  const int g = blockIdx.x * blockDim.x + threadIdx.x;
  atomicAdd(&ints[0], 1);
  atomicSub(&ints[1], 2);
  atomicMax(&ints[2], g);
  atomicMin(&ints[3], -g);
  int cur = ints[4];
  for (;;) {
    const int prev = atomicCAS(&ints[4], cur, cur + 1);
    if (prev == cur) break;
    cur = prev;
  }
  atomicExch(&ints[5], g);
  atomicAdd(&uints[0], 3u);
  atomicOr(&uints[1], 1u << (g % 32));
  atomicAnd(&uints[2], ~(1u << (g % 32)));
  atomicXor(&uints[3], 1u << (g % 4));
  atomicInc(&uints[4], 999u);
  atomicAdd(&ulls[0], (unsigned long long)g);
  atomicMax(&ulls[1], 3ull * g);
  atomicMin(&ulls[2], (unsigned long long)g + 5);
  atomicOr(&ulls[3], 1ull << (g % 64));
  atomicMax(&lls[0], -(long long)g);
  atomicMin(&lls[1], -(long long)g * 1000000000LL);
  atomicAdd(f, 0.5f);
  atomicAdd(d, 0.25);
  if (g == 0) atomicCAS(&shorts[0], (unsigned short)0xffff, (unsigned short)7);
  if (g == 1) atomicCAS(&shorts[1], (unsigned short)1, (unsigned short)9);  // fails: value stays
}
DS_EXPORT_KERNEL(simtest_atomics)
