// CPU activations of the nn family (relu6, leaky_relu, sigmoid, tanh) and their backwards: streaming
// loops over kernels/include/detseg/nn_act_math.cuh (the CUDA kernels' formulas, including a
// vectorizable exp), stamped out per SIMD variant (cpu_simd.h) and split over threads in contiguous,
// cache-line-aligned ranges; jobs larger than the cache write their output with streaming stores
// (the *_streamed variants, cpu_stream.h).
// No FMA contraction: the AVX2/AVX-512 variants must give the scalar variant's bits (cpu_simd.h), and
// the simulator's host build of the kernels rounds every operation too. Before every include, so inline
// functions of the shared headers get the same options.
#pragma GCC optimize("fp-contract=off")

#include "cpu_simd.h"
#include "cpu_stream.h"
#include "detseg/nn_act_math.cuh"
#include "nn_ops.h"

namespace detseg {
namespace cpu {
namespace nn {
namespace {

// relu6 / leaky_relu move 8 bytes per element for ~2 ops; sigmoid / tanh spend ~25 flops. 16K elements
// (~2-4 us on one core) per thread pays for the fork/join, as for the first ops' elementwise loops.
constexpr int64_t kMinPerThread = 1 << 14;
constexpr int64_t kAlign = 16;

DS_CPU_INLINE void fwd_body(const float* x, float* y, int64_t n, int op, float slope) {
  switch (op) {
    case 0:
      for (int64_t i = 0; i < n; ++i) y[i] = ds_nn_relu6(x[i]);
      break;
    case 1:
      for (int64_t i = 0; i < n; ++i) y[i] = ds_nn_leaky_relu(x[i], slope);
      break;
    case 2:
      for (int64_t i = 0; i < n; ++i) y[i] = ds_nn_sigmoid(x[i]);
      break;
    default:
      for (int64_t i = 0; i < n; ++i) y[i] = ds_nn_tanh(x[i]);
      break;
  }
}
DS_CPU_VARIANTS(void, fwd, (const float* x, float* y, int64_t n, int op, float slope), (x, y, n, op, slope))
template <class Line>
DS_CPU_INLINE void fwd_streamed_body(const float* x, float* y, int64_t n, int op, float slope) {
  detail::write_streamed<Line>(y, n, [&](int64_t o, int64_t len, float* dst) { fwd_body(x + o, dst, len, op, slope); });
}
DS_CPU_STREAMED_VARIANTS(fwd, (const float* x, float* y, int64_t n, int op, float slope), (x, y, n, op, slope))

DS_CPU_INLINE void bwd_body(const float* g, const float* v, float* gi, int64_t n, int op, float slope) {
  switch (op) {
    case 0:
      for (int64_t i = 0; i < n; ++i) gi[i] = ds_nn_relu6_backward(g[i], v[i]);
      break;
    case 1:
      for (int64_t i = 0; i < n; ++i) gi[i] = ds_nn_leaky_relu_backward(g[i], v[i], slope);
      break;
    case 2:
      for (int64_t i = 0; i < n; ++i) gi[i] = ds_nn_sigmoid_backward(g[i], v[i]);
      break;
    default:
      for (int64_t i = 0; i < n; ++i) gi[i] = ds_nn_tanh_backward(g[i], v[i]);
      break;
  }
}
DS_CPU_VARIANTS(void, bwd, (const float* g, const float* v, float* gi, int64_t n, int op, float slope),
                (g, v, gi, n, op, slope))
template <class Line>
DS_CPU_INLINE void bwd_streamed_body(const float* g, const float* v, float* gi, int64_t n, int op, float slope) {
  detail::write_streamed<Line>(gi, n,
                               [&](int64_t o, int64_t len, float* dst) { bwd_body(g + o, v + o, dst, len, op, slope); });
}
DS_CPU_STREAMED_VARIANTS(bwd, (const float* g, const float* v, float* gi, int64_t n, int op, float slope),
                         (g, v, gi, n, op, slope))

}  // namespace

void activation_f32(const float* x, float* y, int64_t n, int op, float slope) {
  const auto fn = DS_CPU_PICK_STORES(fwd, 2 * n);
  detail::parallel_ranges(n, kMinPerThread, kAlign,
                          [&](int64_t lo, int64_t hi) { fn(x + lo, y + lo, hi - lo, op, slope); });
}

void activation_backward_f32(const float* grad, const float* v, float* gi, int64_t n, int op, float slope) {
  const auto fn = DS_CPU_PICK_STORES(bwd, 3 * n);
  detail::parallel_ranges(n, kMinPerThread, kAlign,
                          [&](int64_t lo, int64_t hi) { fn(grad + lo, v + lo, gi + lo, hi - lo, op, slope); });
}

}  // namespace nn
}  // namespace cpu
}  // namespace detseg
