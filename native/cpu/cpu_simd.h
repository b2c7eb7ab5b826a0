// Internal to the CPU backend: run-time SIMD dispatch and the OpenMP split.
//
// An op's loop is written once, as an always-inline "body" in plain C++, and stamped out three times
// by DS_CPU_VARIANTS: baseline x86-64 (SSE2), target("avx2,fma") and target("avx512f,avx512dq").
// GCC inlines the body into each and auto-vectorizes it for that instruction set; ds_cpu::pick
// returns the one for this CPU. The bodies are written so vectorization is exact: element-wise
// operations, and reductions with a fixed number of explicit lane accumulators (never a
// reassociated loop), so all three variants produce the same bits.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>

#define DS_CPU_INLINE static inline __attribute__((always_inline))
#define DS_CPU_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define DS_CPU_TARGET_AVX512 __attribute__((target("avx512f,avx512dq")))

// Defines name_scalar, name_avx2 and name_avx512, each `ret name_X params { return name_body args; }`.
#define DS_CPU_VARIANTS(ret, name, params, args)                                   \
  static ret name##_scalar params { return name##_body args; }                     \
  DS_CPU_TARGET_AVX2 static ret name##_avx2 params { return name##_body args; }    \
  DS_CPU_TARGET_AVX512 static ret name##_avx512 params { return name##_body args; }

// Picks the variant of `name` for this CPU (evaluated each call; cache it in a static local).
#define DS_CPU_PICK(name) ::detseg::cpu::detail::pick(&name##_scalar, &name##_avx2, &name##_avx512)

namespace detseg {
namespace cpu {
namespace detail {

enum class Simd : int { Scalar = 0, Avx2 = 1, Avx512 = 2 };

// Detected once (CPUID through __builtin_cpu_supports, lowered by DETSEG_CPU_SIMD if set).
Simd simd();

template <class Fn>
Fn pick(Fn scalar, Fn avx2, Fn avx512) {
  switch (simd()) {
    case Simd::Avx512: return avx512;
    case Simd::Avx2: return avx2;
    default: return scalar;
  }
}

// Threads for a job of `work` units where `min_per_thread` units are worth a fork/join.
inline int threads_for(int64_t work, int64_t min_per_thread) {
  if (work < 2 * min_per_thread) return 1;
  const int64_t by_size = work / min_per_thread;
  const int available = omp_get_max_threads();
  return (int)std::min<int64_t>(available, by_size);
}

// Calls f(lo, hi) over [0, n) split into equal contiguous ranges, one per thread (a static
// schedule), with every boundary a multiple of `align` so no two threads write one cache line.
// Runs on the calling thread when n is below 2 * min_per_thread.
template <class F>
void parallel_ranges(int64_t n, int64_t min_per_thread, int64_t align, F&& f) {
  const int nt = threads_for(n, min_per_thread);
  if (nt <= 1) {
    if (n > 0) f(int64_t(0), n);
    return;
  }
  const int64_t per = ((n + nt - 1) / nt + align - 1) / align * align;
#pragma omp parallel for schedule(static, 1) num_threads(nt)
  for (int t = 0; t < nt; ++t) {
    const int64_t lo = std::min<int64_t>(n, (int64_t)t * per);
    const int64_t hi = std::min<int64_t>(n, lo + per);
    if (lo < hi) f(lo, hi);
  }
}

}  // namespace detail
}  // namespace cpu
}  // namespace detseg
