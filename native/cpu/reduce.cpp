// CPU reductions: sum, max, count_equal.
//
// Fixed structure, chosen by n alone (never by the thread count or the SIMD variant):
//   * x is cut in blocks of kBlock elements, the unit of parallel work; each block's result is
//     stored, and block results are folded in block order on the calling thread;
//   * inside a block, kLanes lane accumulators take x[i + j] into lane j (the loop GCC vectorizes:
//     64 lanes = 4 zmm / 8 ymm registers, enough independent adds to hide the add latency);
//   * sum only: lanes are folded every kChunk elements (a pairwise tree, in double) and chunk sums
//     are added in double, so float rounding error comes from 16 adds per lane at most.
#include <xmmintrin.h>

#include <cmath>
#include <memory>

#include "cpu_ops.h"
#include "cpu_simd.h"
#include "detseg/reduce_math.cuh"

namespace detseg {
namespace cpu {
namespace {

constexpr int kLanes = 64;
constexpr int64_t kChunk = 1024;
constexpr int64_t kBlock = int64_t(1) << 15;
static_assert(kBlock % kChunk == 0 && kChunk % kLanes == 0, "chunks must tile blocks");
// Blocks of 32K floats (~2 us of work from L2 on the 2-core dev machine, against ~1 us for a
// fork/join): a sum of 64K floats goes from ~3.8 us on one core to ~3.3 us on two, 128K from ~7.9 to
// ~5.3 us; so one block per thread is enough to go parallel.
constexpr int64_t kMinBlocksPerThread = 1;

DS_CPU_INLINE double fold_lanes_pairwise(const float* lane) {
  double d[kLanes];
  for (int j = 0; j < kLanes; ++j) d[j] = lane[j];
  for (int w = kLanes / 2; w >= 1; w /= 2)
    for (int j = 0; j < w; ++j) d[j] += d[j + w];
  return d[0];
}

// ---- sum ----
DS_CPU_INLINE double sum_block_body(const float* x, int64_t len) {
  double total = 0.0;
  for (int64_t c0 = 0; c0 < len; c0 += kChunk) {
    const float* p = x + c0;
    const int64_t cl = std::min(kChunk, len - c0);
    float lane[kLanes];
    for (int j = 0; j < kLanes; ++j) lane[j] = 0.0f;
    // the next chunk is prefetched while this one runs: the fold below stalls the loads every 4 KiB,
    // and without it the sum of a 56 MB tensor ran ~1.5x slower than max over the same bytes
    if (c0 + 2 * kChunk <= len) {
      for (int64_t l = 0; l < kChunk; l += 16) _mm_prefetch(reinterpret_cast<const char*>(p + kChunk + l), _MM_HINT_T0);
    }
    int64_t i = 0;
    for (; i + kLanes <= cl; i += kLanes)
      for (int j = 0; j < kLanes; ++j) lane[j] += p[i + j];
    for (int j = 0; i + j < cl; ++j) lane[j] += p[i + j];
    total += fold_lanes_pairwise(lane);
  }
  return total;
}
DS_CPU_VARIANTS(double, sum_block, (const float* x, int64_t len), (x, len))

// ---- max (ds_max_nan: any NaN wins) ----
DS_CPU_INLINE float max_block_body(const float* x, int64_t len) {
  float lane[kLanes];
  for (int j = 0; j < kLanes; ++j) lane[j] = ds_neg_inf();
  int64_t i = 0;
  for (; i + kLanes <= len; i += kLanes)
    for (int j = 0; j < kLanes; ++j) lane[j] = ds_max_nan(lane[j], x[i + j]);
  for (int j = 0; i + j < len; ++j) lane[j] = ds_max_nan(lane[j], x[i + j]);
  float m = lane[0];
  for (int j = 1; j < kLanes; ++j) m = ds_max_nan(m, lane[j]);
  return m;
}
DS_CPU_VARIANTS(float, max_block, (const float* x, int64_t len), (x, len))

// ---- count (ds_equal_or_both_nan with the NaN test of value hoisted) ----
template <bool kValueIsNan>
DS_CPU_INLINE int64_t count_lanes(const float* x, int64_t len, float value) {
  int32_t lane[kLanes];  // len <= kBlock: no overflow
  for (int j = 0; j < kLanes; ++j) lane[j] = 0;
  int64_t i = 0;
  for (; i + kLanes <= len; i += kLanes)
    for (int j = 0; j < kLanes; ++j) lane[j] += kValueIsNan ? ds_isnan(x[i + j]) : x[i + j] == value;
  for (int j = 0; i + j < len; ++j) lane[j] += kValueIsNan ? ds_isnan(x[i + j]) : x[i + j] == value;
  int64_t c = 0;
  for (int j = 0; j < kLanes; ++j) c += lane[j];
  return c;
}
DS_CPU_INLINE int64_t count_block_body(const float* x, int64_t len, float value) {
  return ds_isnan(value) ? count_lanes<true>(x, len, value) : count_lanes<false>(x, len, value);
}
DS_CPU_VARIANTS(int64_t, count_block, (const float* x, int64_t len, float value), (x, len, value))

// Runs block_fn(b) -> T for every block b of x[0, n), in parallel when there are enough, and folds
// the results in block order with fold(acc, r).
template <class T, class BlockFn, class Fold>
T reduce_blocks(int64_t n, T init, BlockFn block_fn, Fold fold) {
  const int64_t nblocks = (n + kBlock - 1) / kBlock;
  if (nblocks <= 0) return init;
  T acc = init;
  const int nt = detail::threads_for(nblocks, kMinBlocksPerThread);
  if (nt <= 1) {
    for (int64_t b = 0; b < nblocks; ++b) acc = fold(acc, block_fn(b));
    return acc;
  }
  std::unique_ptr<T[]> results(new T[nblocks]);
  T* r = results.get();
#pragma omp parallel for schedule(static) num_threads(nt)
  for (int64_t b = 0; b < nblocks; ++b) r[b] = block_fn(b);
  for (int64_t b = 0; b < nblocks; ++b) acc = fold(acc, r[b]);
  return acc;
}

inline int64_t block_len(int64_t n, int64_t b) { return std::min(kBlock, n - b * kBlock); }

}  // namespace

float sum_f32(const float* x, int64_t n) {
  static const auto fn = DS_CPU_PICK(sum_block);
  const double s = reduce_blocks<double>(
      n, 0.0, [&](int64_t b) { return fn(x + b * kBlock, block_len(n, b)); },
      [](double acc, double r) { return acc + r; });
  return (float)s;
}

float max_f32(const float* x, int64_t n) {
  static const auto fn = DS_CPU_PICK(max_block);
  return reduce_blocks<float>(
      n, ds_neg_inf(), [&](int64_t b) { return fn(x + b * kBlock, block_len(n, b)); },
      [](float acc, float r) { return ds_max_nan(acc, r); });
}

int64_t count_equal_f32(const float* x, int64_t n, float value) {
  static const auto fn = DS_CPU_PICK(count_block);
  return reduce_blocks<int64_t>(
      n, 0, [&](int64_t b) { return fn(x + b * kBlock, block_len(n, b), value); },
      [](int64_t acc, int64_t r) { return acc + r; });
}

}  // namespace cpu
}  // namespace detseg
