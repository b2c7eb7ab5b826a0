// CPU region losses (Dice, Jaccard) in segmentation_models_pytorch's binary / multiclass / multilabel
// modes; per-class formulas from detseg/loss_math.cuh.
//
// Statistics: the unit of work is a chunk of up to kChunk positions of one sample, walked in tiles of
// up to kTile positions (fewer for many classes, loss_tile.h) with the positions as vector lanes
// (multiclass from logits first computes the tile's softmax over the class rows, like the
// cross-entropy, once per element: exp(x - max) / sum kept in a TileScratch, as the loops are bound
// by the exp). A unit keeps its per-class sums (I, P, T) in double; units are folded in unit order, so
// the result depends on the sizes only. Backward: per tile, d loss / d p = a_c t + b_c with the
// per-class coefficients of the finalize step, chained through the sigmoid / softmax.
#pragma GCC optimize("fp-contract=off", "no-trapping-math")

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "cpu_simd.h"
#include "detseg/loss_math.cuh"
#include "loss_ops.h"
#include "loss_tile.h"

namespace detseg {
namespace cpu {
namespace {

constexpr int64_t kTile = 256;
constexpr int64_t kChunk = 4096;
constexpr int64_t kNoBad = std::numeric_limits<int64_t>::max();

// The tile's softmax over the class rows (multiclass from logits): row k at p + k * len.
DS_CPU_INLINE void rgn_softmax(const float* xb, int64_t c, int64_t s, int64_t len, float* p) {
  alignas(64) float m[kTile], inv[kTile];
  for (int64_t j = 0; j < len; ++j) m[j] = -INFINITY;
  for (int64_t k = 0; k < c; ++k) {
    const float* row = xb + k * s;
    for (int64_t j = 0; j < len; ++j) m[j] = ds_max_nan(m[j], row[j]);
  }
  for (int64_t j = 0; j < len; ++j) inv[j] = 0.0f;  // the sums first
  for (int64_t k = 0; k < c; ++k) {
    const float* row = xb + k * s;
    float* prow = p + k * len;
    for (int64_t j = 0; j < len; ++j) {
      const float e = ds_loss_exp(row[j] - m[j]);
      prow[j] = e;
      inv[j] += e;
    }
  }
  for (int64_t j = 0; j < len; ++j) inv[j] = 1.0f / inv[j];
  for (int64_t k = 0; k < c; ++k) {
    float* prow = p + k * len;
    for (int64_t j = 0; j < len; ++j) prow[j] *= inv[j];
  }
}

// The tile's softmax (into scratch) when the mode takes one (multiclass from logits), else null.
DS_CPU_INLINE const float* rgn_tile_softmax(const RegionArgs* a, const float* xb, int64_t len, TileScratch* scratch) {
  if (a->mode != kRegionMulticlass || !a->from_logits) return nullptr;
  float* sm = scratch->get(a->c * len);
  rgn_softmax(xb, a->c, a->s, len, sm);
  return sm;
}

// Multiclass targets of the tile: used[j] (1/0) and the class; records bad positions.
DS_CPU_INLINE void rgn_targets(const RegionArgs* a, const int32_t* tb, int64_t pos0, int64_t len, int32_t* cls,
                               float* used, int64_t* bad) {
  for (int64_t j = 0; j < len; ++j) {
    const int32_t t = tb[j];
    const bool ignored = a->has_ignore && t == a->ignore_index;
    const bool is_bad = !ignored && (t < 0 || t >= a->c);
    if (is_bad && pos0 + j < *bad) *bad = pos0 + j;
    used[j] = (ignored || is_bad) ? 0.0f : 1.0f;
    cls[j] = (ignored || is_bad) ? -1 : t;
  }
}

// Raw probability of row k of the tile (before masking): the softmax row sm + k * len (multiclass from
// logits), else the row itself or its sigmoid.
DS_CPU_INLINE const float* rgn_probs(const RegionArgs* a, const float* xb, int64_t k, const float* sm, int64_t len,
                                     float* p) {
  const float* row = xb + k * a->s;
  if (!a->from_logits) return row;
  if (a->mode == kRegionMulticlass) return sm + k * len;
  for (int64_t j = 0; j < len; ++j) p[j] = ds_loss_logistic(row[j]).p;
  return p;
}

// Binary / multilabel: masked targets of a row (t != ignore), used flags.
DS_CPU_INLINE void rgn_float_targets(const RegionArgs* a, const float* trow, int64_t len, float* t, float* used) {
  const float ign = (float)a->ignore_index;
  const bool has = a->has_ignore != 0;
  for (int64_t j = 0; j < len; ++j) {
    const bool u = !(has && trow[j] == ign);
    used[j] = u ? 1.0f : 0.0f;
    t[j] = u ? trow[j] : 0.0f;
  }
}

DS_CPU_INLINE double lane_fold(const float* v, int64_t len) {
  float lane[16] = {};
  int64_t j = 0;
  for (; j + 16 <= len; j += 16)
    for (int l = 0; l < 16; ++l) lane[l] += v[j + l];
  for (int l = 0; j + l < len; ++l) lane[l] += v[j + l];
  double d = 0.0;
  for (int l = 0; l < 16; ++l) d += lane[l];
  return d;
}

// Adds the tile's per-class (I, P, T) to acc[3 c + k].
DS_CPU_INLINE void rgn_stats_tile_body(const RegionArgs* a, int64_t ni, int64_t si0, int64_t len, double* acc,
                                       int64_t* bad) {
  const int64_t c = a->c, s = a->s;
  const float* xb = a->x + ni * c * s + si0;
  alignas(64) float pbuf[kTile], t[kTile], used[kTile], pt[kTile], pm[kTile];
  alignas(64) int32_t cls[kTile];
  const bool multiclass = a->mode == kRegionMulticlass;
  TileScratch scratch;
  const float* sm = rgn_tile_softmax(a, xb, len, &scratch);
  if (multiclass) {
    rgn_targets(a, a->ti + ni * s + si0, ni * s + si0, len, cls, used, bad);
  }
  for (int64_t k = 0; k < c; ++k) {
    const float* p = rgn_probs(a, xb, k, sm, len, pbuf);
    if (multiclass) {
      const int32_t kk = (int32_t)k;
      for (int64_t j = 0; j < len; ++j) t[j] = cls[j] == kk ? 1.0f : 0.0f;
    } else {
      rgn_float_targets(a, a->tf + ni * c * s + k * s + si0, len, t, used);
    }
    for (int64_t j = 0; j < len; ++j) {
      pm[j] = used[j] != 0.0f ? p[j] : 0.0f;
      pt[j] = pm[j] * t[j];
    }
    acc[3 * k + 0] += lane_fold(pt, len);
    acc[3 * k + 1] += lane_fold(pm, len);
    acc[3 * k + 2] += lane_fold(t, len);
  }
}
DS_CPU_VARIANTS(void, rgn_stats_tile, (const RegionArgs* a, int64_t ni, int64_t si0, int64_t len, double* acc, int64_t* bad),
                (a, ni, si0, len, acc, bad))

DS_CPU_INLINE void rgn_bwd_tile_body(const RegionArgs* a, int64_t ni, int64_t si0, int64_t len, const float* coef,
                                     float* grad_in) {
  const int64_t c = a->c, s = a->s;
  const float* xb = a->x + ni * c * s + si0;
  float* gb = grad_in + ni * c * s + si0;
  alignas(64) float pbuf[kTile], t[kTile], used[kTile], dot[kTile], gp[kTile];
  alignas(64) int32_t cls[kTile];
  int64_t bad = kNoBad;
  const bool multiclass = a->mode == kRegionMulticlass;
  TileScratch scratch;
  const float* sm = rgn_tile_softmax(a, xb, len, &scratch);
  if (multiclass) {
    rgn_targets(a, a->ti + ni * s + si0, ni * s + si0, len, cls, used, &bad);
    for (int64_t j = 0; j < len; ++j) dot[j] = 0.0f;
    if (a->from_logits) {
      for (int64_t k = 0; k < c; ++k) {
        const float* p = sm + k * len;
        const float ak = coef[2 * k], bk = coef[2 * k + 1];
        const int32_t kk = (int32_t)k;
        for (int64_t j = 0; j < len; ++j) {
          const float g = used[j] != 0.0f ? ak * (cls[j] == kk ? 1.0f : 0.0f) + bk : 0.0f;
          dot[j] += p[j] * g;
        }
      }
    }
  }
  for (int64_t k = 0; k < c; ++k) {
    const float* p = rgn_probs(a, xb, k, sm, len, pbuf);
    const float ak = coef[2 * k], bk = coef[2 * k + 1];
    if (multiclass) {
      const int32_t kk = (int32_t)k;
      for (int64_t j = 0; j < len; ++j) t[j] = cls[j] == kk ? 1.0f : 0.0f;
    } else {
      rgn_float_targets(a, a->tf + ni * c * s + k * s + si0, len, t, used);
    }
    for (int64_t j = 0; j < len; ++j) gp[j] = used[j] != 0.0f ? ak * t[j] + bk : 0.0f;
    float* grow = gb + k * s;
    if (!a->from_logits) {
      for (int64_t j = 0; j < len; ++j) grow[j] = gp[j];
    } else if (multiclass) {
      for (int64_t j = 0; j < len; ++j) grow[j] = p[j] * (gp[j] - dot[j]);
    } else {
      for (int64_t j = 0; j < len; ++j) grow[j] = gp[j] * (p[j] * (1.0f - p[j]));
    }
  }
}
DS_CPU_VARIANTS(void, rgn_bwd_tile, (const RegionArgs* a, int64_t ni, int64_t si0, int64_t len, const float* coef, float* grad_in),
                (a, ni, si0, len, coef, grad_in))

struct Stats {
  std::vector<float> i, p, t;
  int64_t bad;
};

Stats region_stats(const RegionArgs& a) {
  static const auto tile_fn = DS_CPU_PICK(rgn_stats_tile);
  const int64_t chunks = (a.s + kChunk - 1) / kChunk;
  const int64_t units = a.n * chunks;
  const int64_t c = a.c;
  const int64_t tile = tile_for_classes(c, kTile);
  std::unique_ptr<double[]> acc(new double[units * 3 * c]());
  std::unique_ptr<int64_t[]> bads(new int64_t[units]);
  double* ap = acc.get();
  int64_t* bp = bads.get();
  auto unit = [&](int64_t u) {
    const int64_t ni = u / chunks;
    const int64_t s0 = (u - ni * chunks) * kChunk;
    const int64_t s1 = std::min(a.s, s0 + kChunk);
    bp[u] = kNoBad;
    for (int64_t si = s0; si < s1; si += tile) tile_fn(&a, ni, si, std::min(tile, s1 - si), ap + u * 3 * c, &bp[u]);
  };
  const int nt = detail::threads_for(units * kChunk * c, 1 << 14);
  if (nt <= 1) {
    for (int64_t u = 0; u < units; ++u) unit(u);
  } else {
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t u = 0; u < units; ++u) unit(u);
  }
  Stats st;
  st.i.assign(c, 0.0f);
  st.p.assign(c, 0.0f);
  st.t.assign(c, 0.0f);
  st.bad = kNoBad;
  for (int64_t k = 0; k < c; ++k) {
    double si = 0.0, sp = 0.0, stt = 0.0;
    for (int64_t u = 0; u < units; ++u) {
      si += ap[u * 3 * c + 3 * k];
      sp += ap[u * 3 * c + 3 * k + 1];
      stt += ap[u * 3 * c + 3 * k + 2];
    }
    st.i[k] = (float)si;
    st.p[k] = (float)sp;
    st.t[k] = (float)stt;
  }
  for (int64_t u = 0; u < units; ++u) st.bad = std::min(st.bad, bp[u]);
  return st;
}

}  // namespace

int64_t region_loss_fwd_f32(const RegionArgs& a, int reduction, float* out) {
  const Stats st = region_stats(a);
  double acc = 0.0;
  for (int64_t k = 0; k < a.c; ++k) {
    const float l = ds_loss_region_class_loss(a.kind, st.i[k], st.p[k], st.t[k], a.smooth, a.eps, a.log_loss);
    if (reduction == DS_LOSS_NONE) out[k] = l;
    acc += l;
  }
  if (reduction == DS_LOSS_MEAN) out[0] = (float)(acc / (double)a.c);
  if (reduction == DS_LOSS_SUM) out[0] = (float)acc;
  return st.bad == kNoBad ? -1 : st.bad;
}

int64_t region_loss_bwd_f32(const RegionArgs& a, int reduction, const float* go, float* grad_in) {
  static const auto tile_fn = DS_CPU_PICK(rgn_bwd_tile);
  const Stats st = region_stats(a);
  std::vector<float> coef(2 * a.c);
  for (int64_t k = 0; k < a.c; ++k) {
    const float r = reduction == DS_LOSS_NONE ? go[k] : (reduction == DS_LOSS_MEAN ? go[0] / (float)a.c : go[0]);
    ds_loss_region_class_coef(a.kind, st.i[k], st.p[k], st.t[k], a.smooth, a.eps, a.log_loss, r, &coef[2 * k],
                              &coef[2 * k + 1]);
  }
  const int64_t tile = tile_for_classes(a.c, kTile);
  const int64_t tiles = (a.s + tile - 1) / tile;
  const int64_t units = a.n * tiles;
  const float* cp = coef.data();
  auto unit = [&](int64_t u) {
    const int64_t ni = u / tiles;
    const int64_t si = (u - ni * tiles) * tile;
    tile_fn(&a, ni, si, std::min(tile, a.s - si), cp, grad_in);
  };
  const int nt = detail::threads_for(units * tile * a.c, 1 << 14);
  if (nt <= 1) {
    for (int64_t u = 0; u < units; ++u) unit(u);
  } else {
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t u = 0; u < units; ++u) unit(u);
  }
  return st.bad == kNoBad ? -1 : st.bad;
}

}  // namespace cpu
}  // namespace detseg
