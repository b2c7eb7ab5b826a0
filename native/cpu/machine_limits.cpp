// Machine limits (see machine_limits.h). The FMA loops use intrinsics inside functions compiled
// with target attributes, so the library stays baseline x86-64 and each variant is only called when
// the CPU supports it (runtime dispatch, like cpu_simd.h).
//
// FMA peak: a core retires at most 2 vector FMAs per cycle with a latency of about 4 cycles, so
// latency x throughput = 8 chains in flight are needed; we run 16 independent accumulators for
// AVX-512 (32 zmm registers: 16 accumulators + 2 constants) and 12 for AVX2 (16 ymm registers:
// 12 + 2). acc = acc * a + b with a just below 1 converges to b / (1 - a), so values stay finite and
// normal for any number of iterations.
#include "machine_limits.h"

#include <immintrin.h>
#include <omp.h>
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <vector>

namespace detseg {
namespace limits {
namespace {

constexpr int kChains512 = 16;
constexpr int kChains256 = 12;

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

__attribute__((target("avx512f"), noinline)) float fma_chains_avx512(int64_t iters, float seed) {
  const __m512 a = _mm512_set1_ps(0.9999999f);
  const __m512 b = _mm512_set1_ps(1e-7f);
  __m512 acc[kChains512];
#pragma GCC unroll 16
  for (int k = 0; k < kChains512; ++k) acc[k] = _mm512_set1_ps(seed + 0.01f * k);
  for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 16
    for (int k = 0; k < kChains512; ++k) acc[k] = _mm512_fmadd_ps(acc[k], a, b);
  }
  __m512 s = acc[0];
#pragma GCC unroll 16
  for (int k = 1; k < kChains512; ++k) s = _mm512_add_ps(s, acc[k]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, s);
  float t = 0;
  for (float v : lanes) t += v;
  return t;
}

__attribute__((target("avx2,fma"), noinline)) float fma_chains_avx2(int64_t iters, float seed) {
  const __m256 a = _mm256_set1_ps(0.9999999f);
  const __m256 b = _mm256_set1_ps(1e-7f);
  __m256 acc[kChains256];
#pragma GCC unroll 12
  for (int k = 0; k < kChains256; ++k) acc[k] = _mm256_set1_ps(seed + 0.01f * k);
  for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 12
    for (int k = 0; k < kChains256; ++k) acc[k] = _mm256_fmadd_ps(acc[k], a, b);
  }
  __m256 s = acc[0];
#pragma GCC unroll 12
  for (int k = 1; k < kChains256; ++k) s = _mm256_add_ps(s, acc[k]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, s);
  float t = 0;
  for (float v : lanes) t += v;
  return t;
}

// Flops of one call with `iters` iterations.
double fma_flops(Isa isa, int64_t iters) {
  return isa == Isa::Avx512 ? 2.0 * 16 * kChains512 * (double)iters : 2.0 * 8 * kChains256 * (double)iters;
}

float run_chains(Isa isa, int64_t iters, float seed) {
  return isa == Isa::Avx512 ? fma_chains_avx512(iters, seed) : fma_chains_avx2(iters, seed);
}

// Seconds for `threads` threads each running `iters` iterations (one fork/join around them).
double time_chains(Isa isa, int threads, int64_t iters, volatile float* sink) {
  const double t0 = now_seconds();
  if (threads <= 1) {
    sink[0] = run_chains(isa, iters, 0.5f);
  } else {
#pragma omp parallel num_threads(threads)
    sink[omp_get_thread_num()] = run_chains(isa, iters, 0.5f + omp_get_thread_num());
  }
  return now_seconds() - t0;
}

// Triad variants: plain loops GCC vectorizes for each instruction set.
static inline __attribute__((always_inline)) void triad_body(float* a, const float* b, const float* c, float s,
                                                            int64_t n) {
  for (int64_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
}
void triad_scalar(float* a, const float* b, const float* c, float s, int64_t n) { triad_body(a, b, c, s, n); }
__attribute__((target("avx2,fma"))) void triad_avx2(float* a, const float* b, const float* c, float s, int64_t n) {
  triad_body(a, b, c, s, n);
}
__attribute__((target("avx512f"))) void triad_avx512(float* a, const float* b, const float* c, float s, int64_t n) {
  triad_body(a, b, c, s, n);
}

using TriadFn = void (*)(float*, const float*, const float*, float, int64_t);

TriadFn pick_triad() {
  if (supports(Isa::Avx512)) return triad_avx512;
  if (supports(Isa::Avx2)) return triad_avx2;
  return triad_scalar;
}

constexpr size_t kHugePage = size_t(2) << 20;

struct Buffer {
  float* p = nullptr;
  explicit Buffer(int64_t n) {
    const size_t bytes = ((size_t)n * sizeof(float) + kHugePage - 1) / kHugePage * kHugePage;
    p = static_cast<float*>(std::aligned_alloc(kHugePage, bytes));
    if (p == nullptr) throw std::bad_alloc();
    // Transparent huge pages (when the kernel allows them) make first touch of GiB-sized arrays
    // several times cheaper; the bandwidth itself is the same.
    madvise(p, bytes, MADV_HUGEPAGE);
  }
  ~Buffer() { std::free(p); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
};

}  // namespace

bool supports(Isa isa) {
  __builtin_cpu_init();
  if (isa == Isa::Avx512) return __builtin_cpu_supports("avx512f");
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

double fma_peak_gflops(Isa isa, int threads, double min_seconds, int reps) {
  if (!supports(isa)) return -1.0;
  threads = std::max(1, threads);
  reps = std::max(1, reps);
  std::vector<float> sink_store(threads + 1);
  volatile float* sink = sink_store.data();
  // Calibrate: double the iteration count until one run lasts min_seconds (this also warms up the
  // thread pool and lets the clock settle at its vector-load frequency).
  int64_t iters = 1 << 16;
  while (time_chains(isa, threads, iters, sink) < min_seconds && iters < (int64_t(1) << 40)) iters *= 2;
  double best = 1e300;
  for (int r = 0; r < reps; ++r) best = std::min(best, time_chains(isa, threads, iters, sink));
  return fma_flops(isa, iters) * threads / best * 1e-9;
}

void stream_triad(int64_t n, int threads, int reps, double* best_gbs, double* median_gbs) {
  threads = std::max(1, threads);
  reps = std::max(1, reps);
  Buffer a(n), b(n), c(n);
  const TriadFn fn = pick_triad();
  // Contiguous ranges per thread, cache-line aligned, identical in the init and the timed passes.
  const int64_t per = ((n + threads - 1) / threads + 15) / 16 * 16;
  auto for_ranges = [&](auto&& f) {
#pragma omp parallel for schedule(static, 1) num_threads(threads)
    for (int t = 0; t < threads; ++t) {
      const int64_t lo = std::min<int64_t>(n, (int64_t)t * per);
      const int64_t hi = std::min<int64_t>(n, lo + per);
      if (lo < hi) f(lo, hi);
    }
  };
  for_ranges([&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      a.p[i] = 0.0f;
      b.p[i] = 1.0f;
      c.p[i] = 2.0f;
    }
  });
  const float s = 3.0f;
  std::vector<double> times;
  for (int r = 0; r <= reps; ++r) {  // pass 0 is untimed
    const double t0 = now_seconds();
    for_ranges([&](int64_t lo, int64_t hi) { fn(a.p + lo, b.p + lo, c.p + lo, s, hi - lo); });
    const double t = now_seconds() - t0;
    if (r > 0) times.push_back(t);
  }
  if (a.p[n / 2] != 7.0f) throw std::runtime_error("stream triad: wrong result (a != b + 3c)");
  std::sort(times.begin(), times.end());
  const double bytes = 3.0 * sizeof(float) * (double)n;
  *best_gbs = bytes / times.front() * 1e-9;
  const size_t m = times.size();
  const double med = m % 2 ? times[m / 2] : 0.5 * (times[m / 2 - 1] + times[m / 2]);
  *median_gbs = bytes / med * 1e-9;
}

const char* compiler() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "g++ " __VERSION__;
#else
  return "unknown compiler";
#endif
}

}  // namespace limits
}  // namespace detseg
