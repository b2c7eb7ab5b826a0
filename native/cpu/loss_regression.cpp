// CPU row-wise half squared error for R-CNN's box-regression L2 (docs/kernels/losses.md): the per-row
// forward of reduction 'none' and the backward with a per-row (or scalar) upstream gradient. The
// reduced forms go through the pointwise MSE kernels (loss_pointwise.cpp).
#pragma GCC optimize("fp-contract=off", "no-trapping-math")

#include "cpu_simd.h"
#include "detseg/loss_math.cuh"
#include "loss_ops.h"

namespace detseg {
namespace cpu {
namespace {

DS_CPU_INLINE void rows_fwd_body(const float* p, const float* t, int64_t r0, int64_t r1, int64_t k, float reg,
                                 float* out) {
  for (int64_t i = r0; i < r1; ++i) {
    float s = 0.0f;
    for (int64_t j = 0; j < k; ++j) s += DsLossMse::value(p[i * k + j], t[i * k + j], 1.0f, 1.0f, 0.5f, 0.0f);
    out[i] = s + reg;
  }
}
DS_CPU_VARIANTS(void, rows_fwd, (const float* p, const float* t, int64_t r0, int64_t r1, int64_t k, float reg, float* out),
                (p, t, r0, r1, k, reg, out))

DS_CPU_INLINE void rows_bwd_body(const float* p, const float* t, int64_t r0, int64_t r1, int64_t k, const float* go,
                                 int elementwise, float divisor, float* g) {
  for (int64_t i = r0; i < r1; ++i) {
    const float gi = go[elementwise ? i : 0];
    for (int64_t j = 0; j < k; ++j)
      g[i * k + j] = DsLossMse::grad(p[i * k + j], t[i * k + j], 1.0f, 1.0f, 0.5f, 0.0f) * gi / divisor;
  }
}
DS_CPU_VARIANTS(void, rows_bwd,
                (const float* p, const float* t, int64_t r0, int64_t r1, int64_t k, const float* go, int elementwise,
                 float divisor, float* g),
                (p, t, r0, r1, k, go, elementwise, divisor, g))

}  // namespace

void rows_half_sq_fwd_f32(const float* p, const float* t, int64_t n, int64_t k, float reg, float* out) {
  static const auto fn = DS_CPU_PICK(rows_fwd);
  detail::parallel_ranges(n, (1 << 14) / (k > 0 ? k : 1) + 1, 16, [&](int64_t lo, int64_t hi) { fn(p, t, lo, hi, k, reg, out); });
}

void rows_half_sq_bwd_f32(const float* p, const float* t, int64_t n, int64_t k, const float* grad_out,
                          int grad_elementwise, float divisor, float* grad_in) {
  static const auto fn = DS_CPU_PICK(rows_bwd);
  detail::parallel_ranges(n, (1 << 14) / (k > 0 ? k : 1) + 1, 16,
                          [&](int64_t lo, int64_t hi) { fn(p, t, lo, hi, k, grad_out, grad_elementwise, divisor, grad_in); });
}

}  // namespace cpu
}  // namespace detseg
