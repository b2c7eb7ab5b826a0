// CPU elementwise ops: add, mul, relu, relu_backward, fill, max_backward. Memory-bound streaming
// loops: each body is a plain loop GCC vectorizes for the variant's instruction set (cpu_simd.h);
// OpenMP splits large arrays in two (or more) contiguous, cache-line-aligned ranges; jobs larger than
// the cache write their output with streaming stores (the *_streamed variants, cpu_stream.h).
#include "cpu_ops.h"
#include "cpu_simd.h"
#include "cpu_stream.h"
#include "detseg/reduce_math.cuh"

namespace detseg {
namespace cpu {
namespace {

// Each thread gets at least this many elements. Measured on the 2-core dev machine (AVX-512): an
// add of 32K floats takes ~4.6 us on one core and ~4 us split in two (the fork/join costs ~1 us);
// 16K floats is ~2 us, where a split no longer pays.
constexpr int64_t kMinPerThread = 1 << 14;
constexpr int64_t kAlign = 16;  // 64-byte cache line of floats

DS_CPU_INLINE void add_body(const float* a, const float* b, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}
DS_CPU_VARIANTS(void, add, (const float* a, const float* b, float* out, int64_t n), (a, b, out, n))
template <class Line>
DS_CPU_INLINE void add_streamed_body(const float* a, const float* b, float* out, int64_t n) {
  detail::write_streamed<Line>(out, n, [&](int64_t o, int64_t len, float* dst) { add_body(a + o, b + o, dst, len); });
}
DS_CPU_STREAMED_VARIANTS(add, (const float* a, const float* b, float* out, int64_t n), (a, b, out, n))

DS_CPU_INLINE void mul_body(const float* a, const float* b, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] * b[i];
}
DS_CPU_VARIANTS(void, mul, (const float* a, const float* b, float* out, int64_t n), (a, b, out, n))
template <class Line>
DS_CPU_INLINE void mul_streamed_body(const float* a, const float* b, float* out, int64_t n) {
  detail::write_streamed<Line>(out, n, [&](int64_t o, int64_t len, float* dst) { mul_body(a + o, b + o, dst, len); });
}
DS_CPU_STREAMED_VARIANTS(mul, (const float* a, const float* b, float* out, int64_t n), (a, b, out, n))

DS_CPU_INLINE void relu_body(const float* x, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = ds_relu(x[i]);
}
DS_CPU_VARIANTS(void, relu, (const float* x, float* out, int64_t n), (x, out, n))
template <class Line>
DS_CPU_INLINE void relu_streamed_body(const float* x, float* out, int64_t n) {
  detail::write_streamed<Line>(out, n, [&](int64_t o, int64_t len, float* dst) { relu_body(x + o, dst, len); });
}
DS_CPU_STREAMED_VARIANTS(relu, (const float* x, float* out, int64_t n), (x, out, n))

DS_CPU_INLINE void relu_backward_body(const float* grad, const float* x, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = ds_relu_backward(grad[i], x[i]);
}
DS_CPU_VARIANTS(void, relu_backward, (const float* grad, const float* x, float* out, int64_t n), (grad, x, out, n))
template <class Line>
DS_CPU_INLINE void relu_backward_streamed_body(const float* grad, const float* x, float* out, int64_t n) {
  detail::write_streamed<Line>(out, n,
                               [&](int64_t o, int64_t len, float* dst) { relu_backward_body(grad + o, x + o, dst, len); });
}
DS_CPU_STREAMED_VARIANTS(relu_backward, (const float* grad, const float* x, float* out, int64_t n), (grad, x, out, n))

DS_CPU_INLINE void fill_body(float* out, float value, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = value;
}
DS_CPU_VARIANTS(void, fill, (float* out, float value, int64_t n), (out, value, n))
template <class Line>
DS_CPU_INLINE void fill_streamed_body(float* out, float value, int64_t n) {
  detail::write_streamed<Line>(out, n, [&](int64_t, int64_t len, float* dst) { fill_body(dst, value, len); });
}
DS_CPU_STREAMED_VARIANTS(fill, (float* out, float value, int64_t n), (out, value, n))

// ds_equal_or_both_nan(x, maxval) with the NaN test of maxval hoisted out of the loop.
DS_CPU_INLINE void max_backward_body(float g, const float* x, float maxval, float* out, int64_t n) {
  if (ds_isnan(maxval)) {
    for (int64_t i = 0; i < n; ++i) out[i] = ds_isnan(x[i]) ? g : 0.0f;
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = x[i] == maxval ? g : 0.0f;
  }
}
DS_CPU_VARIANTS(void, max_backward, (float g, const float* x, float maxval, float* out, int64_t n),
                (g, x, maxval, out, n))
template <class Line>
DS_CPU_INLINE void max_backward_streamed_body(float g, const float* x, float maxval, float* out, int64_t n) {
  detail::write_streamed<Line>(out, n,
                               [&](int64_t o, int64_t len, float* dst) { max_backward_body(g, x + o, maxval, dst, len); });
}
DS_CPU_STREAMED_VARIANTS(max_backward, (float g, const float* x, float maxval, float* out, int64_t n),
                         (g, x, maxval, out, n))

}  // namespace

void add_f32(const float* a, const float* b, float* out, int64_t n) {
  const auto fn = DS_CPU_PICK_STORES(add, 3 * n);
  detail::parallel_ranges(n, kMinPerThread, kAlign,
                          [&](int64_t lo, int64_t hi) { fn(a + lo, b + lo, out + lo, hi - lo); });
}

void mul_f32(const float* a, const float* b, float* out, int64_t n) {
  const auto fn = DS_CPU_PICK_STORES(mul, 3 * n);
  detail::parallel_ranges(n, kMinPerThread, kAlign,
                          [&](int64_t lo, int64_t hi) { fn(a + lo, b + lo, out + lo, hi - lo); });
}

void relu_f32(const float* x, float* out, int64_t n) {
  const auto fn = DS_CPU_PICK_STORES(relu, 2 * n);
  detail::parallel_ranges(n, kMinPerThread, kAlign, [&](int64_t lo, int64_t hi) { fn(x + lo, out + lo, hi - lo); });
}

void relu_backward_f32(const float* grad, const float* x, float* out, int64_t n) {
  const auto fn = DS_CPU_PICK_STORES(relu_backward, 3 * n);
  detail::parallel_ranges(n, kMinPerThread, kAlign,
                          [&](int64_t lo, int64_t hi) { fn(grad + lo, x + lo, out + lo, hi - lo); });
}

void fill_f32(float* out, float value, int64_t n) {
  const auto fn = DS_CPU_PICK_STORES(fill, n);
  detail::parallel_ranges(n, kMinPerThread, kAlign, [&](int64_t lo, int64_t hi) { fn(out + lo, value, hi - lo); });
}

void max_backward_f32(float grad, const float* x, float maxval, int64_t count, float* out, int64_t n) {
  const auto fn = DS_CPU_PICK_STORES(max_backward, 2 * n);
  const float g = grad / (float)count;  // PyTorch: grad / mask.sum(), the count promoted to float
  detail::parallel_ranges(n, kMinPerThread, kAlign,
                          [&](int64_t lo, int64_t hi) { fn(g, x + lo, maxval, out + lo, hi - lo); });
}

}  // namespace cpu
}  // namespace detseg
