// Keys for the box family's selections, shared by the CPU backend and the CUDA kernels
// (docs/kernels/boxes.md). Both select "the k candidates with the smallest 32-bit key, ties broken
// by the smaller index"; CPU (nth_element on key << 32 | index) and CUDA (block radix select) pick
// exactly the same set.
//
//  * sample_pos_neg: the key of element i of image b under seed s is the high half of
//    splitmix64 output number (i + 1) of a generator whose state starts at splitmix64 output number
//    (b + 1) of a generator seeded with s. Independent uniform keys make the k smallest a uniform
//    random k-subset, as torch.randperm(n)[:k] is.
//  * hard_negative_mining: the key orders losses descending (NaN first, as torch.sort(descending)
//    puts NaN first; -0.0 equals +0.0), so the k smallest keys are the k largest losses.
#pragma once

#include <math.h>

#include "detseg/kernel_api.cuh"
#include "detseg/reduce_math.cuh"

DS_HD float ds_box_hnm_mul(float a, float b) { return ds_mul_rn(a, b); }

#define DS_BOX_GOLDEN_GAMMA 0x9E3779B97F4A7C15ull

// The splitmix64 output function (Steele, Lea, Flood 2014).
DS_HD unsigned long long ds_box_mix64(unsigned long long z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Output number (k + 1) of splitmix64 seeded with state: mix64(state + (k + 1) * gamma).
DS_HD unsigned long long ds_box_splitmix64_at(unsigned long long state, unsigned long long k) {
  return ds_box_mix64(state + (k + 1ull) * DS_BOX_GOLDEN_GAMMA);
}

// The per-image stream state for seed and image (row) b.
DS_HD unsigned long long ds_box_rng_stream(unsigned long long seed, unsigned long long b) {
  return ds_box_splitmix64_at(seed, b);
}

// The 32-bit random key of element i of a stream.
DS_HD unsigned int ds_box_rng_key(unsigned long long stream, unsigned long long i) {
  return (unsigned int)(ds_box_splitmix64_at(stream, i) >> 32);
}

// Key ordering losses descending: larger loss -> smaller key; any NaN -> 0 (first); -0.0 as +0.0.
DS_HD unsigned int ds_box_loss_key_desc(float loss) {
  if (loss != loss) return 0u;
  if (loss == 0.0f) loss = 0.0f;  // -0.0 -> +0.0
  unsigned int u;
#if defined(__CUDA_ARCH__)
  u = __float_as_uint(loss);
#else
  __builtin_memcpy(&u, &loss, 4);
#endif
  // ascending order key: flip all bits of negatives, set the sign bit of positives
  const unsigned int asc = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
  // descending: complement; the largest finite/inf key 0xFF800000 (+inf) becomes 0x007FFFFF > 0
  return ~asc;
}

// hard_negative_mining's count: torchvision compares rank < ratio * num_pos in float32, so k is
// ceil(float(ratio) * float(num_pos)) (0 when that is not > 0), at most num_neg.
DS_HD long long ds_box_hnm_count(float ratio, long long num_pos, long long num_neg) {
  const float f = ds_box_hnm_mul(ratio, (float)num_pos);
  if (!(f > 0.0f)) return 0;
  const double c = ceil((double)f);
  return c >= (double)num_neg ? num_neg : (long long)c;
}
