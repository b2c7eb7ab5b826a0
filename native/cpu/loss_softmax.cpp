// CPU softmax classification losses (cross-entropy with weights / ignore_index / label smoothing,
// softmax focal) and NLL over x [n, c, s]; formulas from detseg/loss_math.cuh.
//
// Spatial layout (s > 1): the unit of work is a tile of up to kTile consecutive positions of one
// sample. Every pass runs over the C class rows of the tile with the positions as the vector lanes
// (unit stride, so GCC vectorizes the max, the exp and the gradient for the variant's ISA): max, then
// sum of exp(x - max) (and the smoothing sum), then the per-position loss; the backward adds a third
// pass writing the gradient. A tile of 21 classes x 256 positions is 21 KB and stays in L1 between
// passes, so x is read from memory once per pass over the tile at most; with more classes the tile
// is shorter (loss_tile.h). Row layout (s == 1): the unit is a run of rows; each row is
// reduced over its C logits with 16 explicit lane accumulators (so the vectorized order is fixed).
// These loops are bound by the exp, not by memory: the backward keeps each exp(x - max) of its sum
// pass and takes p = exp(x - max) / sum from there instead of computing exp(x - lse) a second time
// (8 x 21 x 128 x 128: 3.5 -> 2.8 ms on one core, 1.6 -> 1.2 ms on two).
//
// No FMA contraction (the AVX2/AVX-512 variants would otherwise round differently from the scalar one).
#pragma GCC optimize("fp-contract=off", "no-trapping-math")

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "cpu_simd.h"
#include "detseg/loss_math.cuh"
#include "loss_ops.h"
#include "loss_tile.h"

namespace detseg {
namespace cpu {
namespace {

constexpr int64_t kTile = 256;            // positions per spatial unit, at most
constexpr int64_t kRowUnitElems = 8192;   // ~elements per row unit
constexpr int kLanes = 16;
constexpr int64_t kNoBad = std::numeric_limits<int64_t>::max();

struct UnitSums {
  double loss = 0.0;
  double den = 0.0;
  int64_t bad = kNoBad;
};

// Per-position bookkeeping shared by forward and backward: used flag, target weight, bad position.
DS_CPU_INLINE bool smx_use(const SoftmaxLossArgs* a, int32_t t, int64_t pos, int64_t* bad) {
  if (ds_loss_target_bad(t, (int)a->c, a->ignore_index)) {
    if (pos < *bad) *bad = pos;
    return false;
  }
  return !ds_loss_target_ignored(t, a->ignore_index);
}

DS_CPU_INLINE float smx_weight(const SoftmaxLossArgs* a, int64_t k) { return a->weight ? a->weight[k] : 1.0f; }

DS_CPU_INLINE float smx_w_total(const SoftmaxLossArgs* a) {
  if (!a->weight) return (float)a->c;
  float w = 0.0f;
  for (int64_t k = 0; k < a->c; ++k) w += a->weight[k];
  return w;
}

// ---- spatial tile: max and sum of exp (shift = max) ----
// e, when not null, receives exp(x - max) (row k at e + k * len).
DS_CPU_INLINE void smx_tile_stats(const float* xb, int64_t c, int64_t s, int64_t len, const SoftmaxLossArgs* a,
                                  bool smoothing, float* m, float* sum, float* wx, float* e = nullptr) {
  for (int64_t j = 0; j < len; ++j) m[j] = -INFINITY;
  for (int64_t k = 0; k < c; ++k) {
    const float* row = xb + k * s;
    for (int64_t j = 0; j < len; ++j) m[j] = ds_max_nan(m[j], row[j]);
  }
  for (int64_t j = 0; j < len; ++j) {
    sum[j] = 0.0f;
    wx[j] = 0.0f;
  }
  for (int64_t k = 0; k < c; ++k) {
    const float* row = xb + k * s;
    if (smoothing) {
      const float wk = smx_weight(a, k);
      for (int64_t j = 0; j < len; ++j) {
        const float v = row[j] - m[j];
        sum[j] += ds_loss_exp(v);
        wx[j] += wk * v;
      }
    } else if (e != nullptr) {
      float* erow = e + k * len;
      for (int64_t j = 0; j < len; ++j) {
        const float v = ds_loss_exp(row[j] - m[j]);
        erow[j] = v;
        sum[j] += v;
      }
    } else {
      for (int64_t j = 0; j < len; ++j) sum[j] += ds_loss_exp(row[j] - m[j]);
    }
  }
}

DS_CPU_INLINE void smx_tile_fwd_body(const SoftmaxLossArgs* a, int64_t ni, int64_t si0, int64_t len, int reduction,
                                     float* out, float* log_prob, UnitSums* r) {
  const int64_t c = a->c, s = a->s;
  const float* xb = a->x + ni * c * s + si0;
  const int32_t* tb = a->target + ni * s + si0;
  const bool focal = a->mode == kSoftmaxFocal;
  const bool smoothing = !focal && a->label_smoothing != 0.0f;
  const float one_minus_eps = 1.0f - a->label_smoothing;
  const float eps_over_c = focal ? 0.0f : a->label_smoothing / (float)c;
  const float w_total = smoothing ? smx_w_total(a) : 0.0f;
  alignas(64) float m[kTile], sum[kTile], wx[kTile], logs[kTile];
  smx_tile_stats(xb, c, s, len, a, smoothing, m, sum, wx);
  for (int64_t j = 0; j < len; ++j) logs[j] = ds_loss_log(sum[j]);
  double acc = 0.0, den = 0.0;
  for (int64_t j = 0; j < len; ++j) {
    const int32_t t = tb[j];
    float loss = 0.0f;
    if (smx_use(a, t, ni * s + si0 + j, &r->bad)) {
      const float wt = smx_weight(a, t);
      const float logp_t = (xb[(int64_t)t * s + j] - m[j]) - logs[j];
      if (focal) {
        loss = ds_loss_softmax_focal_value(logp_t, a->alpha * wt, a->gamma);
        den += 1.0;
      } else {
        const float smooth = smoothing ? ds_loss_ce_smooth(w_total, logs[j], wx[j]) : 0.0f;
        loss = ds_loss_ce_value(logp_t, wt, smooth, one_minus_eps, eps_over_c);
        den += wt;
      }
    }
    if (reduction == DS_LOSS_NONE) out[ni * s + si0 + j] = loss;
    acc += loss;
  }
  r->loss += acc;
  r->den += den;
  if (log_prob) {
    float* lb = log_prob + ni * c * s + si0;
    for (int64_t k = 0; k < c; ++k) {
      const float* row = xb + k * s;
      float* lrow = lb + k * s;
      for (int64_t j = 0; j < len; ++j) lrow[j] = (row[j] - m[j]) - logs[j];
    }
  }
}
DS_CPU_VARIANTS(void, smx_tile_fwd,
                (const SoftmaxLossArgs* a, int64_t ni, int64_t si0, int64_t len, int reduction, float* out,
                 float* log_prob, UnitSums* r),
                (a, ni, si0, len, reduction, out, log_prob, r))

// scale[j]: the upstream gradient of position j over the mean's denominator, 0 for unused positions.
DS_CPU_INLINE void smx_tile_bwd_body(const SoftmaxLossArgs* a, int64_t ni, int64_t si0, int64_t len,
                                     const float* grad_out, int grad_elementwise, float den_value, float* grad_in,
                                     UnitSums* r) {
  const int64_t c = a->c, s = a->s;
  const float* xb = a->x + ni * c * s + si0;
  float* gb = grad_in + ni * c * s + si0;
  const int32_t* tb = a->target + ni * s + si0;
  const bool focal = a->mode == kSoftmaxFocal;
  const bool smoothing = !focal && a->label_smoothing != 0.0f;
  const float one_minus_eps = 1.0f - a->label_smoothing;
  const float eps_over_c = focal ? 0.0f : a->label_smoothing / (float)c;
  const float w_total = smoothing ? smx_w_total(a) : 0.0f;
  alignas(64) float m[kTile], sum[kTile], wx[kTile], lse[kTile], coef[kTile], wt[kTile];
  alignas(64) int32_t tt[kTile];
  alignas(64) float inv[kTile], p[kTile];
  TileScratch scratch;
  float* e = scratch.get(c * len);
  smx_tile_stats(xb, c, s, len, a, false, m, sum, wx, e);
  for (int64_t j = 0; j < len; ++j) lse[j] = m[j] + ds_loss_log(sum[j]);
  for (int64_t j = 0; j < len; ++j) inv[j] = 1.0f / sum[j];
  for (int64_t j = 0; j < len; ++j) {
    const int32_t t = tb[j];
    const int64_t pos = ni * s + si0 + j;
    if (smx_use(a, t, pos, &r->bad)) {
      const float g = grad_out[grad_elementwise ? pos : 0] / den_value;
      wt[j] = smx_weight(a, t);
      tt[j] = t;
      coef[j] = focal ? g * ds_loss_softmax_focal_factor(xb[(int64_t)t * s + j] - lse[j], a->alpha * wt[j], a->gamma)
                      : g;
    } else {
      wt[j] = 0.0f;
      tt[j] = -1;
      coef[j] = 0.0f;
    }
  }
  for (int64_t k = 0; k < c; ++k) {
    float* grow = gb + k * s;
    const int32_t kk = (int32_t)k;
    const float* erow = e + k * len;
    for (int64_t j = 0; j < len; ++j) p[j] = erow[j] * inv[j];
    if (focal) {
      for (int64_t j = 0; j < len; ++j) {
        const float g = coef[j] * (tt[j] == kk ? p[j] - 1.0f : p[j]);
        grow[j] = tt[j] < 0 ? 0.0f : g;
      }
    } else {
      const float wk = smoothing ? smx_weight(a, k) : 1.0f;
      for (int64_t j = 0; j < len; ++j) {
        const float g = coef[j] * ds_loss_ce_grad(p[j], tt[j] == kk, wt[j], w_total, wk, one_minus_eps, eps_over_c);
        grow[j] = tt[j] < 0 ? 0.0f : g;
      }
    }
  }
}
DS_CPU_VARIANTS(void, smx_tile_bwd,
                (const SoftmaxLossArgs* a, int64_t ni, int64_t si0, int64_t len, const float* grad_out,
                 int grad_elementwise, float den_value, float* grad_in, UnitSums* r),
                (a, ni, si0, len, grad_out, grad_elementwise, den_value, grad_in, r))

// ---- rows (s == 1) ----
struct RowStats {
  float m, logs, wx, sum;
};

// e, when not null, receives exp(x - max) of the row.
DS_CPU_INLINE RowStats smx_row_stats(const float* xr, int64_t c, const SoftmaxLossArgs* a, bool smoothing,
                                     float* e = nullptr) {
  float lm[kLanes];
  for (int l = 0; l < kLanes; ++l) lm[l] = -INFINITY;
  int64_t k = 0;
  for (; k + kLanes <= c; k += kLanes)
    for (int l = 0; l < kLanes; ++l) lm[l] = ds_max_nan(lm[l], xr[k + l]);
  for (int l = 0; k + l < c; ++l) lm[l] = ds_max_nan(lm[l], xr[k + l]);
  float m = lm[0];
  for (int l = 1; l < kLanes; ++l) m = ds_max_nan(m, lm[l]);
  float ls[kLanes], lw[kLanes];
  for (int l = 0; l < kLanes; ++l) {
    ls[l] = 0.0f;
    lw[l] = 0.0f;
  }
  k = 0;
  if (smoothing) {
    for (; k + kLanes <= c; k += kLanes)
      for (int l = 0; l < kLanes; ++l) {
        const float v = xr[k + l] - m;
        ls[l] += ds_loss_exp(v);
        lw[l] += smx_weight(a, k + l) * v;
      }
    for (int l = 0; k + l < c; ++l) {
      const float v = xr[k + l] - m;
      ls[l] += ds_loss_exp(v);
      lw[l] += smx_weight(a, k + l) * v;
    }
  } else if (e != nullptr) {
    for (; k + kLanes <= c; k += kLanes)
      for (int l = 0; l < kLanes; ++l) {
        const float v = ds_loss_exp(xr[k + l] - m);
        e[k + l] = v;
        ls[l] += v;
      }
    for (int l = 0; k + l < c; ++l) {
      const float v = ds_loss_exp(xr[k + l] - m);
      e[k + l] = v;
      ls[l] += v;
    }
  } else {
    for (; k + kLanes <= c; k += kLanes)
      for (int l = 0; l < kLanes; ++l) ls[l] += ds_loss_exp(xr[k + l] - m);
    for (int l = 0; k + l < c; ++l) ls[l] += ds_loss_exp(xr[k + l] - m);
  }
  float sum = 0.0f, wx = 0.0f;
  for (int l = 0; l < kLanes; ++l) {
    sum += ls[l];
    wx += lw[l];
  }
  return RowStats{m, ds_loss_log(sum), wx, sum};
}

DS_CPU_INLINE void smx_rows_fwd_body(const SoftmaxLossArgs* a, int64_t r0, int64_t r1, int reduction, float* out,
                                     float* log_prob, UnitSums* r) {
  const int64_t c = a->c;
  const bool focal = a->mode == kSoftmaxFocal;
  const bool smoothing = !focal && a->label_smoothing != 0.0f;
  const float one_minus_eps = 1.0f - a->label_smoothing;
  const float eps_over_c = focal ? 0.0f : a->label_smoothing / (float)c;
  const float w_total = smoothing ? smx_w_total(a) : 0.0f;
  double acc = 0.0, den = 0.0;
  for (int64_t row = r0; row < r1; ++row) {
    const float* xr = a->x + row * c;
    const RowStats st = smx_row_stats(xr, c, a, smoothing);
    const int32_t t = a->target[row];
    float loss = 0.0f;
    if (smx_use(a, t, row, &r->bad)) {
      const float wt = smx_weight(a, t);
      const float logp_t = (xr[t] - st.m) - st.logs;
      if (focal) {
        loss = ds_loss_softmax_focal_value(logp_t, a->alpha * wt, a->gamma);
        den += 1.0;
      } else {
        const float smooth = smoothing ? ds_loss_ce_smooth(w_total, st.logs, st.wx) : 0.0f;
        loss = ds_loss_ce_value(logp_t, wt, smooth, one_minus_eps, eps_over_c);
        den += wt;
      }
    }
    if (reduction == DS_LOSS_NONE) out[row] = loss;
    acc += loss;
    if (log_prob) {
      float* lr = log_prob + row * c;
      for (int64_t k = 0; k < c; ++k) lr[k] = (xr[k] - st.m) - st.logs;
    }
  }
  r->loss += acc;
  r->den += den;
}
DS_CPU_VARIANTS(void, smx_rows_fwd,
                (const SoftmaxLossArgs* a, int64_t r0, int64_t r1, int reduction, float* out, float* log_prob,
                 UnitSums* r),
                (a, r0, r1, reduction, out, log_prob, r))

DS_CPU_INLINE void smx_rows_bwd_body(const SoftmaxLossArgs* a, int64_t r0, int64_t r1, const float* grad_out,
                                     int grad_elementwise, float den_value, float* grad_in, UnitSums* r) {
  const int64_t c = a->c;
  const bool focal = a->mode == kSoftmaxFocal;
  const bool smoothing = !focal && a->label_smoothing != 0.0f;
  const float one_minus_eps = 1.0f - a->label_smoothing;
  const float eps_over_c = focal ? 0.0f : a->label_smoothing / (float)c;
  const float w_total = smoothing ? smx_w_total(a) : 0.0f;
  TileScratch scratch;
  float* e = scratch.get(c);
  for (int64_t row = r0; row < r1; ++row) {
    const float* xr = a->x + row * c;
    float* gr = grad_in + row * c;
    const int32_t t = a->target[row];
    if (!smx_use(a, t, row, &r->bad)) {
      for (int64_t k = 0; k < c; ++k) gr[k] = 0.0f;
      continue;
    }
    const RowStats st = smx_row_stats(xr, c, a, false, e);
    const float lse = st.m + st.logs;
    const float inv = 1.0f / st.sum;
    const float wt = smx_weight(a, t);
    const float g = grad_out[grad_elementwise ? row : 0] / den_value;
    if (focal) {
      const float f = g * ds_loss_softmax_focal_factor(xr[t] - lse, a->alpha * wt, a->gamma);
      for (int64_t k = 0; k < c; ++k) {
        const float p = e[k] * inv;
        gr[k] = f * (k == t ? p - 1.0f : p);
      }
    } else if (smoothing) {
      for (int64_t k = 0; k < c; ++k) {
        const float p = e[k] * inv;
        gr[k] = g * ds_loss_ce_grad(p, k == t, wt, w_total, smx_weight(a, k), one_minus_eps, eps_over_c);
      }
    } else {
      for (int64_t k = 0; k < c; ++k) {
        const float p = e[k] * inv;
        gr[k] = g * ds_loss_ce_grad(p, k == t, wt, w_total, 1.0f, one_minus_eps, eps_over_c);
      }
    }
  }
}
DS_CPU_VARIANTS(void, smx_rows_bwd,
                (const SoftmaxLossArgs* a, int64_t r0, int64_t r1, const float* grad_out, int grad_elementwise,
                 float den_value, float* grad_in, UnitSums* r),
                (a, r0, r1, grad_out, grad_elementwise, den_value, grad_in, r))

// Units of work and their order: spatial tiles (sample-major), or runs of rows.
struct Units {
  int64_t count, tile, tiles_per_sample, rows_per_unit;
};

Units smx_units(const SoftmaxLossArgs& a) {
  Units u{};
  if (a.s > 1) {
    u.tile = tile_for_classes(a.c, kTile);
    u.tiles_per_sample = (a.s + u.tile - 1) / u.tile;
    u.count = a.n * u.tiles_per_sample;
  } else {
    u.rows_per_unit = std::max<int64_t>(1, kRowUnitElems / std::max<int64_t>(a.c, 1));
    u.count = (a.n + u.rows_per_unit - 1) / u.rows_per_unit;
  }
  return u;
}

// Runs f(unit, sums) for every unit (in parallel when worth it) and folds the sums in unit order.
template <class F>
UnitSums run_units(int64_t count, int64_t work_per_unit, F&& f) {
  UnitSums total;
  if (count <= 0) return total;
  // ~16K floats of work per thread pays for a fork/join (see elementwise.cpp's measurements).
  const int nt = detail::threads_for(count * work_per_unit, 1 << 14);
  std::unique_ptr<UnitSums[]> res(new UnitSums[count]);
  UnitSums* rp = res.get();
  if (nt <= 1) {
    for (int64_t u = 0; u < count; ++u) f(u, &rp[u]);
  } else {
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t u = 0; u < count; ++u) f(u, &rp[u]);
  }
  for (int64_t u = 0; u < count; ++u) {
    total.loss += rp[u].loss;
    total.den += rp[u].den;
    total.bad = std::min(total.bad, rp[u].bad);
  }
  return total;
}

int64_t bad_or_none(int64_t bad) { return bad == kNoBad ? -1 : bad; }

// Sum of w[t] (or the count, for focal) over used positions, and the smallest bad position.
UnitSums target_denominator(const int32_t* target, const float* weight, int64_t count, int64_t c,
                            int32_t ignore_index, bool count_only) {
  const int64_t kUnit = 1 << 15;
  const int64_t units = (count + kUnit - 1) / kUnit;
  return run_units(units, kUnit, [&](int64_t u, UnitSums* r) {
    const int64_t lo = u * kUnit, hi = std::min(count, lo + kUnit);
    double d = 0.0;
    for (int64_t p = lo; p < hi; ++p) {
      const int32_t t = target[p];
      if (ds_loss_target_bad(t, (int)c, ignore_index)) {
        if (p < r->bad) r->bad = p;
      } else if (!ds_loss_target_ignored(t, ignore_index)) {
        d += count_only ? 1.0 : (weight ? (double)weight[t] : 1.0);
      }
    }
    r->den = d;
  });
}

float finish(int reduction, const UnitSums& t) {
  if (reduction == DS_LOSS_MEAN) return (float)(t.loss / t.den);
  return (float)t.loss;
}

}  // namespace

int64_t softmax_loss_fwd_f32(const SoftmaxLossArgs& a, int reduction, float* out, float* log_prob) {
  static const auto tile_fn = DS_CPU_PICK(smx_tile_fwd);
  static const auto rows_fn = DS_CPU_PICK(smx_rows_fwd);
  const Units u = smx_units(a);
  UnitSums t;
  if (a.s > 1) {
    t = run_units(u.count, u.tile * a.c, [&](int64_t unit, UnitSums* r) {
      const int64_t ni = unit / u.tiles_per_sample;
      const int64_t si0 = (unit - ni * u.tiles_per_sample) * u.tile;
      tile_fn(&a, ni, si0, std::min(u.tile, a.s - si0), reduction, out, log_prob, r);
    });
  } else {
    t = run_units(u.count, u.rows_per_unit * a.c, [&](int64_t unit, UnitSums* r) {
      const int64_t r0 = unit * u.rows_per_unit;
      rows_fn(&a, r0, std::min(a.n, r0 + u.rows_per_unit), reduction, out, log_prob, r);
    });
  }
  if (reduction != DS_LOSS_NONE) out[0] = finish(reduction, t);
  return bad_or_none(t.bad);
}

int64_t softmax_loss_bwd_f32(const SoftmaxLossArgs& a, int reduction, const float* grad_out, int grad_elementwise,
                             float* grad_in) {
  static const auto tile_fn = DS_CPU_PICK(smx_tile_bwd);
  static const auto rows_fn = DS_CPU_PICK(smx_rows_bwd);
  float den_value = 1.0f;
  int64_t bad = kNoBad;
  if (reduction == DS_LOSS_MEAN) {
    const UnitSums d = target_denominator(a.target, a.weight, a.n * a.s, a.c, a.ignore_index, a.mode == kSoftmaxFocal);
    den_value = (float)d.den;
    bad = d.bad;
  }
  const Units u = smx_units(a);
  UnitSums t;
  if (a.s > 1) {
    t = run_units(u.count, 2 * u.tile * a.c, [&](int64_t unit, UnitSums* r) {
      const int64_t ni = unit / u.tiles_per_sample;
      const int64_t si0 = (unit - ni * u.tiles_per_sample) * u.tile;
      tile_fn(&a, ni, si0, std::min(u.tile, a.s - si0), grad_out, grad_elementwise, den_value, grad_in, r);
    });
  } else {
    t = run_units(u.count, 2 * u.rows_per_unit * a.c, [&](int64_t unit, UnitSums* r) {
      const int64_t r0 = unit * u.rows_per_unit;
      rows_fn(&a, r0, std::min(a.n, r0 + u.rows_per_unit), grad_out, grad_elementwise, den_value, grad_in, r);
    });
  }
  return bad_or_none(std::min(bad, t.bad));
}

int64_t nll_loss_fwd_f32(const float* x, const int32_t* target, const float* weight, int64_t n, int64_t c,
                         int64_t s, int32_t ignore_index, int reduction, float* out) {
  const int64_t count = n * s;
  const int64_t kUnit = 1 << 14;
  const int64_t units = (count + kUnit - 1) / kUnit;
  const UnitSums t = run_units(units, kUnit, [&](int64_t u, UnitSums* r) {
    const int64_t lo = u * kUnit, hi = std::min(count, lo + kUnit);
    double acc = 0.0, den = 0.0;
    for (int64_t p = lo; p < hi; ++p) {
      const int32_t tg = target[p];
      float loss = 0.0f;
      if (ds_loss_target_bad(tg, (int)c, ignore_index)) {
        if (p < r->bad) r->bad = p;
      } else if (!ds_loss_target_ignored(tg, ignore_index)) {
        const int64_t ni = p / s, si = p - ni * s;
        const float w = weight ? weight[tg] : 1.0f;
        loss = -w * x[(ni * c + tg) * s + si];
        den += w;
      }
      if (reduction == DS_LOSS_NONE) out[p] = loss;
      acc += loss;
    }
    r->loss = acc;
    r->den = den;
  });
  if (reduction != DS_LOSS_NONE) out[0] = finish(reduction, t);
  return bad_or_none(t.bad);
}

int64_t nll_loss_bwd_f32(const int32_t* target, const float* weight, int64_t n, int64_t c, int64_t s,
                         int32_t ignore_index, int reduction, const float* grad_out, int grad_elementwise,
                         float* grad_in) {
  float den_value = 1.0f;
  int64_t bad = kNoBad;
  if (reduction == DS_LOSS_MEAN) {
    const UnitSums d = target_denominator(target, weight, n * s, c, ignore_index, false);
    den_value = (float)d.den;
    bad = d.bad;
  }
  const UnitSums t = run_units(n, c * s, [&](int64_t ni, UnitSums* r) {
    float* gb = grad_in + ni * c * s;
    std::fill(gb, gb + c * s, 0.0f);
    for (int64_t si = 0; si < s; ++si) {
      const int64_t p = ni * s + si;
      const int32_t tg = target[p];
      if (ds_loss_target_bad(tg, (int)c, ignore_index)) {
        if (p < r->bad) r->bad = p;
      } else if (!ds_loss_target_ignored(tg, ignore_index)) {
        const float w = weight ? weight[tg] : 1.0f;
        gb[(int64_t)tg * s + si] = -w * (grad_out[grad_elementwise ? p : 0] / den_value);
      }
    }
  });
  return bad_or_none(std::min(bad, t.bad));
}

}  // namespace cpu
}  // namespace detseg
