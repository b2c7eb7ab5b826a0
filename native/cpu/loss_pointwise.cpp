// CPU pointwise losses (BCE, BCE with logits, sigmoid focal, balanced BCE, smooth L1, L1, MSE):
// forward, backward and fused forward+backward, formulas from detseg/loss_math.cuh.
//
// The unit of work is a tile of kTile elements: the broadcast weights of the tile are first expanded
// into small buffers (runs of equal values, or slices of the weight when inner == 1), then one plain
// loop evaluates the loss for the whole tile, which GCC vectorizes for the variant's ISA (our exp /
// log are branch-free). Sums go through 16 float lanes per tile and a double per tile, folded in tile
// order: the result depends on n only, never on threads or SIMD width.
#pragma GCC optimize("fp-contract=off", "no-trapping-math")

#include <algorithm>
#include <memory>

#include "cpu_simd.h"
#include "detseg/loss_math.cuh"
#include "loss_ops.h"

namespace detseg {
namespace cpu {
namespace {

constexpr int64_t kTile = 1024;
constexpr int kLanes = 16;

alignas(64) const float kZeros[kTile] = {};

// buf[j] = w[((lo + j) / inner) % mid] for j < len; 1 when w is null.
DS_CPU_INLINE void expand(const Broadcast& b, int64_t lo, int64_t len, float* buf) {
  if (b.w == nullptr) {
    for (int64_t j = 0; j < len; ++j) buf[j] = 1.0f;
    return;
  }
  int64_t q = lo / b.inner;
  int64_t r = lo - q * b.inner;
  int64_t k = q % b.mid;
  int64_t j = 0;
  if (b.inner == 1) {
    while (j < len) {
      const int64_t run = std::min(b.mid - k, len - j);
      for (int64_t u = 0; u < run; ++u) buf[j + u] = b.w[k + u];
      j += run;
      k = 0;
    }
    return;
  }
  while (j < len) {
    const int64_t run = std::min(b.inner - r, len - j);
    const float v = b.w[k];
    for (int64_t u = 0; u < run; ++u) buf[j + u] = v;
    j += run;
    r = 0;
    k = k + 1 == b.mid ? 0 : k + 1;
  }
}

DS_CPU_INLINE double lane_sum(const float* v, int64_t len) {
  float lane[kLanes];
  for (int l = 0; l < kLanes; ++l) lane[l] = 0.0f;
  int64_t j = 0;
  for (; j + kLanes <= len; j += kLanes)
    for (int l = 0; l < kLanes; ++l) lane[l] += v[j + l];
  for (int l = 0; j + l < len; ++l) lane[l] += v[j + l];
  double d = 0.0;
  for (int l = 0; l < kLanes; ++l) d += lane[l];
  return d;
}

template <class K>
struct PwBoth {
  static inline __attribute__((always_inline)) void eval(float x, float t, float w, float pw, float a, float b, float& v, float& g) {
    v = K::value(x, t, w, pw, a, b);
    g = K::grad(x, t, w, pw, a, b);
  }
};
template <int G>
struct PwBoth<DsLossFocalG<G> > {
  static inline __attribute__((always_inline)) void eval(float x, float t, float w, float pw, float a, float b,
                                                         float& v, float& g) {
    const DsLossFocalTerms f = ds_loss_focal_terms(x, t, a);
    v = ds_loss_focal_value<G>(f, b);
    g = ds_loss_focal_grad<G>(f, t, b);
  }
};

// One tile [lo, lo + len): loss values into v (out + lo for none, else a scratch tile); returns their sum.
template <class K>
DS_CPU_INLINE double pw_fwd_tile(const PointwiseArgs* p, int64_t lo, int64_t len, float* v) {
  alignas(64) float wb[kTile], pwb[kTile];
  expand(p->weight, lo, len, wb);
  expand(p->pos_weight, lo, len, pwb);
  const float* x = p->x + lo;
  const float* t = p->t ? p->t + lo : kZeros;
  const float a = p->a, b = p->b;
  for (int64_t j = 0; j < len; ++j) v[j] = K::value(x[j], t[j], wb[j], pwb[j], a, b);
  return lane_sum(v, len);
}

template <class K>
DS_CPU_INLINE void pw_bwd_tile(const PointwiseArgs* p, int64_t lo, int64_t len, const float* grad_out,
                               int grad_elementwise, float divisor, float* grad_in) {
  alignas(64) float wb[kTile], pwb[kTile];
  expand(p->weight, lo, len, wb);
  expand(p->pos_weight, lo, len, pwb);
  const float* x = p->x + lo;
  const float* t = p->t ? p->t + lo : kZeros;
  float* g = grad_in + lo;
  const float a = p->a, b = p->b;
  if (grad_elementwise) {
    const float* go = grad_out + lo;
    for (int64_t j = 0; j < len; ++j) g[j] = K::grad(x[j], t[j], wb[j], pwb[j], a, b) * go[j] / divisor;
  } else {
    const float g0 = grad_out[0];
    for (int64_t j = 0; j < len; ++j) g[j] = K::grad(x[j], t[j], wb[j], pwb[j], a, b) * g0 / divisor;
  }
}

template <class K>
DS_CPU_INLINE double pw_fused_tile(const PointwiseArgs* p, int64_t lo, int64_t len, float divisor, float* v,
                                   float* grad_in) {
  alignas(64) float wb[kTile], pwb[kTile];
  expand(p->weight, lo, len, wb);
  expand(p->pos_weight, lo, len, pwb);
  const float* x = p->x + lo;
  const float* t = p->t ? p->t + lo : kZeros;
  float* g = grad_in + lo;
  const float a = p->a, b = p->b;
  for (int64_t j = 0; j < len; ++j) {
    float vj, gj;
    PwBoth<K>::eval(x[j], t[j], wb[j], pwb[j], a, b, vj, gj);
    v[j] = vj;
    g[j] = gj / divisor;
  }
  return lane_sum(v, len);
}

// The kind switch happens once per tile, outside the vector loops. The focal loss picks its gamma == 2
// form here (q * q), or the branch-free exp/log power otherwise: the same values as the kernels'
// run-time choice (DsLossFocalG<0>).
#define DS_PW_DISPATCH(kind, CALL)                  \
  switch (kind) {                                   \
    case kPwBce: CALL(DsLossBce); break;            \
    case kPwBceLogits: CALL(DsLossBceLogits); break; \
    case kPwFocal:                                  \
      if (p->b == 2.0f) {                           \
        CALL(DsLossFocalG<2>);                      \
      } else {                                      \
        CALL(DsLossFocalG<1>);                      \
      }                                             \
      break;                                        \
    case kPwBalancedBce: CALL(DsLossBalancedBce); break; \
    case kPwSmoothL1: CALL(DsLossSmoothL1); break;  \
    case kPwL1: CALL(DsLossL1); break;              \
    default: CALL(DsLossMse); break;                \
  }

DS_CPU_INLINE double pw_fwd_range_body(const PointwiseArgs* p, int64_t lo, int64_t len, int reduction, float* out) {
  alignas(64) float scratch[kTile];
  float* v = reduction == DS_LOSS_NONE ? out + lo : scratch;
  double s = 0.0;
#define DS_PW_CALL(K) s = pw_fwd_tile<K>(p, lo, len, v)
  DS_PW_DISPATCH(p->kind, DS_PW_CALL)
#undef DS_PW_CALL
  return s;
}
DS_CPU_VARIANTS(double, pw_fwd_range, (const PointwiseArgs* p, int64_t lo, int64_t len, int reduction, float* out),
                (p, lo, len, reduction, out))

DS_CPU_INLINE void pw_bwd_range_body(const PointwiseArgs* p, int64_t lo, int64_t len, const float* grad_out,
                                     int grad_elementwise, float divisor, float* grad_in) {
#define DS_PW_CALL(K) pw_bwd_tile<K>(p, lo, len, grad_out, grad_elementwise, divisor, grad_in)
  DS_PW_DISPATCH(p->kind, DS_PW_CALL)
#undef DS_PW_CALL
}
DS_CPU_VARIANTS(void, pw_bwd_range,
                (const PointwiseArgs* p, int64_t lo, int64_t len, const float* grad_out, int grad_elementwise,
                 float divisor, float* grad_in),
                (p, lo, len, grad_out, grad_elementwise, divisor, grad_in))

DS_CPU_INLINE double pw_fused_range_body(const PointwiseArgs* p, int64_t lo, int64_t len, int reduction,
                                         float divisor, float* out, float* grad_in) {
  alignas(64) float scratch[kTile];
  float* v = reduction == DS_LOSS_NONE ? out + lo : scratch;
  double s = 0.0;
#define DS_PW_CALL(K) s = pw_fused_tile<K>(p, lo, len, divisor, v, grad_in)
  DS_PW_DISPATCH(p->kind, DS_PW_CALL)
#undef DS_PW_CALL
  return s;
}
DS_CPU_VARIANTS(double, pw_fused_range,
                (const PointwiseArgs* p, int64_t lo, int64_t len, int reduction, float divisor, float* out,
                 float* grad_in),
                (p, lo, len, reduction, divisor, out, grad_in))

// Calls f(tile_index, lo, len) for every tile, in parallel when worth it; returns the tile results
// folded in tile order.
template <class F>
double run_tiles(int64_t n, F&& f) {
  const int64_t tiles = (n + kTile - 1) / kTile;
  if (tiles <= 0) return 0.0;
  const int nt = detail::threads_for(n, 1 << 14);
  std::unique_ptr<double[]> res(new double[tiles]);
  double* r = res.get();
  if (nt <= 1) {
    for (int64_t u = 0; u < tiles; ++u) r[u] = f(u * kTile, std::min(kTile, n - u * kTile));
  } else {
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t u = 0; u < tiles; ++u) r[u] = f(u * kTile, std::min(kTile, n - u * kTile));
  }
  double s = 0.0;
  for (int64_t u = 0; u < tiles; ++u) s += r[u];
  return s;
}

float pw_finish(int reduction, double sum, int64_t n) {
  return reduction == DS_LOSS_MEAN ? (float)(sum / (double)n) : (float)sum;
}

float pw_divisor(int reduction, int64_t n) { return reduction == DS_LOSS_MEAN ? (float)n : 1.0f; }

DS_CPU_INLINE int64_t outside_body(const float* x, int64_t len) {
  int32_t lane[kLanes];
  for (int l = 0; l < kLanes; ++l) lane[l] = 0;
  int64_t j = 0;
  for (; j + kLanes <= len; j += kLanes)
    for (int l = 0; l < kLanes; ++l) lane[l] += (x[j + l] < 0.0f) | (x[j + l] > 1.0f);
  for (int l = 0; j + l < len; ++l) lane[l] += (x[j + l] < 0.0f) | (x[j + l] > 1.0f);
  int64_t c = 0;
  for (int l = 0; l < kLanes; ++l) c += lane[l];
  return c;
}
DS_CPU_VARIANTS(int64_t, outside, (const float* x, int64_t len), (x, len))

}  // namespace

void pointwise_loss_fwd_f32(const PointwiseArgs& p, int reduction, float* out) {
  static const auto fn = DS_CPU_PICK(pw_fwd_range);
  const double s = run_tiles(p.n, [&](int64_t lo, int64_t len) { return fn(&p, lo, len, reduction, out); });
  if (reduction != DS_LOSS_NONE) out[0] = pw_finish(reduction, s, p.n);
}

void pointwise_loss_bwd_f32(const PointwiseArgs& p, int reduction, const float* grad_out, int grad_elementwise,
                            float* grad_in) {
  static const auto fn = DS_CPU_PICK(pw_bwd_range);
  const float divisor = pw_divisor(reduction, p.n);
  run_tiles(p.n, [&](int64_t lo, int64_t len) {
    fn(&p, lo, len, grad_out, grad_elementwise, divisor, grad_in);
    return 0.0;
  });
}

void pointwise_loss_fused_f32(const PointwiseArgs& p, int reduction, float* out, float* grad_in) {
  static const auto fn = DS_CPU_PICK(pw_fused_range);
  const float divisor = pw_divisor(reduction, p.n);
  const double s =
      run_tiles(p.n, [&](int64_t lo, int64_t len) { return fn(&p, lo, len, reduction, divisor, out, grad_in); });
  if (reduction != DS_LOSS_NONE) out[0] = pw_finish(reduction, s, p.n);
}

int64_t count_outside_unit_f32(const float* x, int64_t n, int64_t* first) {
  static const auto fn = DS_CPU_PICK(outside);
  const double c = run_tiles(n, [&](int64_t lo, int64_t len) { return (double)fn(x + lo, len); });
  *first = -1;
  if (c > 0) {
    for (int64_t i = 0; i < n; ++i) {
      if (x[i] < 0.0f || x[i] > 1.0f) {
        *first = i;
        break;
      }
    }
  }
  return (int64_t)c;
}

}  // namespace cpu
}  // namespace detseg
