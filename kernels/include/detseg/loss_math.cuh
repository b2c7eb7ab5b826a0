// Loss formulas shared by the CPU backend (native/cpu/loss_*.cpp) and the CUDA kernels
// (kernels/loss_*.cu): every per-element loss term and its derivative is defined once, here.
//
// * Transcendentals are our own branch-free float implementations (ds_loss_exp, ds_loss_log, ...):
//   the same code on both backends, and written so GCC vectorizes a CPU loop that calls them (the
//   libm calls would keep a loop scalar without -ffast-math). Accuracy: ~1-2 ulp over the float
//   range; exp flushes results below ~1e-45 to 0 as IEEE rounding does.
// * NaN in, NaN out: every formula propagates a NaN logit, probability or target to its result.
// * Semantics follow PyTorch 1.13 (torch.nn.functional) and torchvision 0.14 formula by formula; the
//   comments name the reference. docs/kernels/losses.md has the full contracts.
#pragma once

#include <math.h>

#include "detseg/kernel_api.cuh"
#include "detseg/reduce_math.cuh"

// Like DS_HD, but always inlined on the host too, so the CPU backend's vector loops see through every
// call (an out-of-line call keeps a loop scalar).
#if defined(__CUDACC__)
#define DS_LOSS_HD __host__ __device__ __forceinline__
#else
#define DS_LOSS_HD inline __attribute__((always_inline))
#endif

// ---- bit casts ------------------------------------------------------------------------------------
DS_LOSS_HD int ds_loss_f2i(float x) {
#if defined(__CUDA_ARCH__)
  return __float_as_int(x);
#else
  int i;
  __builtin_memcpy(&i, &x, 4);
  return i;
#endif
}

DS_LOSS_HD float ds_loss_i2f(int i) {
#if defined(__CUDA_ARCH__)
  return __int_as_float(i);
#else
  float x;
  __builtin_memcpy(&x, &i, 4);
  return x;
#endif
}

DS_LOSS_HD float ds_loss_nan() { return ds_loss_i2f(0x7fc00000); }
DS_LOSS_HD float ds_loss_inf() { return ds_loss_i2f(0x7f800000); }

// 2^k for an integer k in [-126, 127], exactly (no denormals).
DS_LOSS_HD float ds_loss_pow2i(int k) { return ds_loss_i2f((k + 127) << 23); }

// ---- exp ------------------------------------------------------------------------------------------
// exp(x) = 2^n * e^r with n = round(x / ln 2) and r = x - n ln 2 in [-ln2/2, ln2/2], e^r by a degree-7
// polynomial (Cephes' expf coefficients), the scale applied as two exact powers of two so results that
// overflow become inf and results below FLT_MIN round to denormals or 0 like IEEE arithmetic.
// x is clamped to [-104, 89] first: exp(-104) rounds to 0 and exp(89) overflows, so the clamp changes
// no result. NaN passes through every step (comparisons with NaN are false).
DS_LOSS_HD float ds_loss_exp(float x) {
  float xc = x > 89.0f ? 89.0f : x;
  xc = xc < -104.0f ? -104.0f : xc;
  const float t = xc * 1.44269504088896341f;
  float n = (t + 12582912.0f) - 12582912.0f;  // round to nearest: |t| < 2^22, so adding 1.5*2^23 rounds
  float r = xc - n * 0.693359375f;             // ln 2 split in two: n * hi is exact
  r = r - n * -2.12194440e-4f;
  const float z = r * r;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * z + r + 1.0f;
  n = n == n ? n : 0.0f;  // NaN: any exponent will do (y is NaN), but keep the conversion defined
  const int ni = (int)n;
  const int n1 = ni >> 1;  // two factors within [-75, 64], each a normal float
  const int n2 = ni - n1;
  return y * ds_loss_pow2i(n1) * ds_loss_pow2i(n2);
}

// ---- log ------------------------------------------------------------------------------------------
// log(x) = e ln 2 + log(m), x = m 2^e with m in [sqrt(1/2), sqrt(2)), log(m) by Cephes' logf
// polynomial. Denormal x is scaled by 2^25 first. log(0) = -inf, log(x < 0) = NaN, log(inf) = inf,
// log(NaN) = NaN.
DS_LOSS_HD float ds_loss_log(float x) {
  const bool tiny = x < 1.17549435e-38f;
  const float xs = tiny ? x * 33554432.0f : x;  // 2^25
  const int bits = ds_loss_f2i(xs);
  int e = ((bits >> 23) & 0xff) - 126;
  float m = ds_loss_i2f((bits & 0x007fffff) | 0x3f000000);  // [0.5, 1)
  const bool small = m < 0.707106781186547524f;
  e = small ? e - 1 : e;
  m = small ? m + m - 1.0f : m - 1.0f;
  const float fe = (float)e - (tiny ? 25.0f : 0.0f);
  const float z = m * m;
  float y = 7.0376836292e-2f;
  y = y * m - 1.1514610310e-1f;
  y = y * m + 1.1676998740e-1f;
  y = y * m - 1.2420140846e-1f;
  y = y * m + 1.4249322787e-1f;
  y = y * m - 1.6668057665e-1f;
  y = y * m + 2.0000714765e-1f;
  y = y * m - 2.4999993993e-1f;
  y = y * m + 3.3333331174e-1f;
  y = y * m * z;
  y = y + fe * -2.12194440e-4f;
  y = y - 0.5f * z;
  float r = m + y;
  r = r + fe * 0.693359375f;
  r = x == ds_loss_inf() ? x : r;
  r = x == 0.0f ? -ds_loss_inf() : r;
  r = x < 0.0f ? ds_loss_nan() : r;
  return x != x ? x : r;
}

// log(1 + y) for y >= -1, accurate for tiny y: with u = 1 + y rounded, log(u) * y / (u - 1) corrects
// the rounding of u (Goldberg's trick); y itself when u == 1.
DS_LOSS_HD float ds_loss_log1p(float y) {
  const float u = 1.0f + y;
  const float d = u - 1.0f;
  const float r = ds_loss_log(u) * (y / (d == 0.0f ? 1.0f : d));
  return d == 0.0f ? y : r;
}

// log(1 + exp(x)), stable for any x: max(x, 0) + log1p(exp(-|x|)).
DS_LOSS_HD float ds_loss_softplus(float x) {
  const float ax = x < 0.0f ? -x : x;
  return (x > 0.0f ? x : 0.0f) + ds_loss_log1p(ds_loss_exp(-ax));
}

// sigmoid(x) = 1 / (1 + exp(-x)), as torch.sigmoid computes it.
DS_LOSS_HD float ds_loss_sigmoid(float x) { return 1.0f / (1.0f + ds_loss_exp(-x)); }

// a^g for a >= 0 (or NaN): exp(g log a); 0^g = 0 for g > 0 and 1 for g == 0 (torch.pow's values).
DS_LOSS_HD float ds_loss_pow(float a, float g) {
  const float r = ds_loss_exp(g * ds_loss_log(a));
  return a == 0.0f ? (g == 0.0f ? 1.0f : 0.0f) : r;
}

// ---- reductions -----------------------------------------------------------------------------------
// Reduction codes every loss kernel takes (PyTorch's reduction strings).
#define DS_LOSS_NONE 0
#define DS_LOSS_MEAN 1
#define DS_LOSS_SUM 2

// ---- pointwise losses ------------------------------------------------------------------------------
// Each functor: value(x, t, w, pw, a, b) is one element's loss and grad(...) its derivative in x
// (for a unit upstream gradient), where w is the element's weight (1 when none), pw its positive
// weight (pos_weight; 1 when none) and a, b the loss's scalar parameters. Conditionals only select
// between values already computed (no branches around divisions or calls), so a CPU loop over any
// functor if-converts and vectorizes.

// The logistic intermediates of a logit x, sharing one exp: e = exp(-|x|), inv = 1 / (1 + e),
// p = sigmoid(x) (inv for x >= 0, e * inv below: no overflow either way), and
// log1p(e) = log(1 + e) corrected for the rounding of 1 + e (the correction's 1/(1 + e) is inv), from
// which softplus(-x) = log(1 + e^-x) = max(-x, 0) + log1p(e) and softplus(x) = max(x, 0) + log1p(e).
struct DsLossLogistic {
  float p, sp_neg, sp_pos;
};
DS_LOSS_HD DsLossLogistic ds_loss_logistic(float x) {
  const float ax = x < 0.0f ? -x : x;
  const float e = ds_loss_exp(-ax);
  const float u = 1.0f + e;
  const float inv = 1.0f / u;
  const float l1pe = ds_loss_log(u) + (e - (u - 1.0f)) * inv;
  DsLossLogistic r;
  r.p = x >= 0.0f ? inv : e * inv;
  r.sp_neg = (x < 0.0f ? -x : 0.0f) + l1pe;
  r.sp_pos = (x > 0.0f ? x : 0.0f) + l1pe;
  return r;
}

// torch.nn.functional.binary_cross_entropy on probabilities x: each log is clamped at -100 (PyTorch's
// rule, so x = 0 or 1 gives a finite loss); the gradient is w (x - t) / max(x (1 - x), 1e-12).
struct DsLossBce {
  static DS_LOSS_HD float value(float x, float t, float w, float pw, float a, float b) {
    const float lx = ds_loss_log(x);
    const float l1x = ds_loss_log(1.0f - x);
    const float cx = lx < -100.0f ? -100.0f : lx;
    const float c1x = l1x < -100.0f ? -100.0f : l1x;
    return -w * (t * cx + (1.0f - t) * c1x);
  }
  static DS_LOSS_HD float grad(float x, float t, float w, float pw, float a, float b) {
    const float d = (1.0f - x) * x;
    return w * (x - t) / (d < 1e-12f ? 1e-12f : d);
  }
};

// torch.nn.functional.binary_cross_entropy_with_logits: w [(1 - t) x + (1 + (pw - 1) t) softplus(-x)];
// gradient w [(pw t + 1 - t) sigmoid(x) - pw t]. Without pos_weight pw = 1: w (softplus(-x) + (1 - t) x),
// gradient w (sigmoid(x) - t).
struct DsLossBceLogits {
  static DS_LOSS_HD float value(float x, float t, float w, float pw, float a, float b) {
    const float lw = (pw - 1.0f) * t + 1.0f;
    return w * ((1.0f - t) * x + lw * ds_loss_logistic(x).sp_neg);
  }
  static DS_LOSS_HD float grad(float x, float t, float w, float pw, float a, float b) {
    const float pt = pw * t;
    return w * ((pt + 1.0f - t) * ds_loss_logistic(x).p - pt);
  }
};

// Class-balanced BCE on logits (HED, Xie & Tu 2015; the "balanced cross-entropy" of Jadon's loss
// survey): -[beta t log sigmoid(x) + (1 - beta)(1 - t) log(1 - sigmoid(x))] with beta = a.
// log sigmoid(x) = -softplus(-x), log(1 - sigmoid(x)) = -softplus(x).
// Gradient: beta t (sigmoid(x) - 1) + (1 - beta)(1 - t) sigmoid(x).
struct DsLossBalancedBce {
  static DS_LOSS_HD float value(float x, float t, float w, float pw, float a, float b) {
    const DsLossLogistic l = ds_loss_logistic(x);
    return w * (a * t * l.sp_neg + (1.0f - a) * (1.0f - t) * l.sp_pos);
  }
  static DS_LOSS_HD float grad(float x, float t, float w, float pw, float a, float b) {
    const float s = ds_loss_logistic(x).p;
    return w * (a * t * (s - 1.0f) + (1.0f - a) * (1.0f - t) * s);
  }
};

// q^gamma and gamma q^(gamma - 1) (0 for gamma == 0: torch.pow's backward at exponent 0) for the
// focal losses. G = 2: gamma is 2 (q * q, 2 q); G = 1: any gamma through exp/log (branch-free, for
// vector loops); G = 0: chooses between the two at run time (kernels: a uniform branch).
template <int G>
DS_LOSS_HD float ds_loss_qpow(float q, float gamma) {
  if (G == 2) return q * q;
  if (G == 0 && gamma == 2.0f) return q * q;
  return ds_loss_pow(q, gamma);
}
template <int G>
DS_LOSS_HD float ds_loss_dqpow(float q, float gamma) {
  if (G == 2) return 2.0f * q;
  if (G == 0 && gamma == 2.0f) return 2.0f * q;
  const float d = gamma * ds_loss_pow(q, gamma - 1.0f);
  return gamma == 0.0f ? 0.0f : d;
}

// torchvision.ops.sigmoid_focal_loss(x, t, alpha = a, gamma = b), step by step as torchvision does:
//   p = sigmoid(x); ce = bce_with_logits(x, t); p_t = p t + (1 - p)(1 - t);
//   loss = ce (1 - p_t)^gamma; if alpha >= 0: loss *= alpha t + (1 - alpha)(1 - t).
// Gradient (d/dx, t constant): alpha_t [(p - t) q^gamma - ce gamma q^(gamma-1) (2t - 1) p (1 - p)]
// with q = 1 - p_t.
struct DsLossFocalTerms {
  float p, ce, q, alpha_t;
};
DS_LOSS_HD DsLossFocalTerms ds_loss_focal_terms(float x, float t, float alpha) {
  const DsLossLogistic l = ds_loss_logistic(x);
  DsLossFocalTerms r;
  r.p = l.p;
  r.ce = (1.0f - t) * x + l.sp_neg;
  const float pt = r.p * t + (1.0f - r.p) * (1.0f - t);
  r.q = 1.0f - pt;
  r.alpha_t = alpha >= 0.0f ? alpha * t + (1.0f - alpha) * (1.0f - t) : 1.0f;
  return r;
}
template <int G>
DS_LOSS_HD float ds_loss_focal_value(const DsLossFocalTerms& f, float gamma) {
  return f.ce * ds_loss_qpow<G>(f.q, gamma) * f.alpha_t;
}
template <int G>
DS_LOSS_HD float ds_loss_focal_grad(const DsLossFocalTerms& f, float t, float gamma) {
  const float dpt = (2.0f * t - 1.0f) * f.p * (1.0f - f.p);
  return f.alpha_t * ((f.p - t) * ds_loss_qpow<G>(f.q, gamma) - f.ce * ds_loss_dqpow<G>(f.q, gamma) * dpt);
}
template <int G>
struct DsLossFocalG {
  static DS_LOSS_HD float value(float x, float t, float w, float pw, float a, float b) {
    return ds_loss_focal_value<G>(ds_loss_focal_terms(x, t, a), b);
  }
  static DS_LOSS_HD float grad(float x, float t, float w, float pw, float a, float b) {
    return ds_loss_focal_grad<G>(ds_loss_focal_terms(x, t, a), t, b);
  }
};
typedef DsLossFocalG<0> DsLossFocal;

// torch.nn.functional.smooth_l1_loss with beta = a: z = |x - t|; z < beta ? 0.5 z^2 / beta : z - 0.5 beta
// (beta == 0 is L1). Gradient as PyTorch 1.13's smooth_l1_backward: d <= -beta ? -1 : d >= beta ? 1 :
// d / beta, d = x - t; so for beta == 0 the gradient at d == 0 is -1, exactly as PyTorch. The regression
// losses multiply by the element weight w (1 for the plain PyTorch losses, where it changes nothing;
// the positive-anchor masks of the detector losses otherwise).
struct DsLossSmoothL1 {
  static DS_LOSS_HD float value(float x, float t, float w, float pw, float a, float b) {
    const float d = x - t;
    const float z = d < 0.0f ? -d : d;
    const float quad = 0.5f * z * z / a;
    const float lin = z - 0.5f * a;
    return (z < a ? quad : lin) * w;
  }
  static DS_LOSS_HD float grad(float x, float t, float w, float pw, float a, float b) {
    const float d = x - t;
    const float r = d >= a ? 1.0f : d / a;
    return (d <= -a ? -1.0f : r) * w;
  }
};

// torch.nn.functional.l1_loss: |x - t|; gradient sign(x - t) (0 at 0, NaN for NaN); times w.
struct DsLossL1 {
  static DS_LOSS_HD float value(float x, float t, float w, float pw, float a, float b) {
    const float d = x - t;
    return (d < 0.0f ? -d : d) * w;
  }
  static DS_LOSS_HD float grad(float x, float t, float w, float pw, float a, float b) {
    const float d = x - t;
    const float s = d > 0.0f ? 1.0f : (d < 0.0f ? -1.0f : 0.0f);
    return (d != d ? d : s) * w;
  }
};

// torch.nn.functional.mse_loss: (x - t)^2; gradient 2 (x - t). Scaled by a (a = 0.5 gives R-CNN's
// 0.5 (t - p)^2 data term) and w.
struct DsLossMse {
  static DS_LOSS_HD float value(float x, float t, float w, float pw, float a, float b) {
    const float d = x - t;
    return a * (d * d) * w;
  }
  static DS_LOSS_HD float grad(float x, float t, float w, float pw, float a, float b) {
    return a * (2.0f * (x - t)) * w;
  }
};

// ---- softmax classification losses (cross-entropy, softmax focal) ---------------------------------
// One position (a row of C logits): lse = log sum_c exp(x_c); logp_c = x_c - lse.
//
// Cross-entropy as torch.nn.functional.cross_entropy with class weights w, label smoothing eps:
//   loss = (1 - eps) w_t (-logp_t) + (eps / C) sum_c w_c (lse - x_c)
// (w = 1 without weights; an ignored position contributes 0), with logp_t = (x_t - max) - log(sum_c
// exp(x_c - max)) as torch.log_softmax computes it. The smoothing sum is accumulated relative to a
// finite shift s (the max on the CPU, the first logit in the one-pass CUDA kernels, 0 if that is not
// finite) so large logits do not cancel: sum_c w_c (lse - x_c) = W (lse - s) - sum_c w_c (x_c - s),
// W = sum_c w_c (ds_loss_ce_smooth).
DS_LOSS_HD float ds_loss_ce_smooth(float w_total, float lse_minus_s, float wx_shifted) {
  return w_total * lse_minus_s - wx_shifted;
}
DS_LOSS_HD float ds_loss_ce_value(float logp_t, float wt, float smooth, float one_minus_eps, float eps_over_c) {
  const float nll = wt * -logp_t;
  const float with_smoothing = one_minus_eps * nll + eps_over_c * smooth;
  return eps_over_c == 0.0f ? one_minus_eps * nll : with_smoothing;
}
// A finite shift for the smoothing sum: x itself, or 0 for +-inf and NaN (NaN still reaches the sum).
DS_LOSS_HD float ds_loss_finite_or_zero(float x) { return (x - x == 0.0f) ? x : 0.0f; }

// d loss / d x_c for one position (unit upstream gradient, before the mean's 1/D):
//   (1 - eps) w_t (p_c - [c == t]) + (eps / C)(W p_c - w_c),   p_c = exp(x_c - lse).
DS_LOSS_HD float ds_loss_ce_grad(float p, bool is_target, float wt, float w_total, float wc, float one_minus_eps,
                                 float eps_over_c) {
  const float g = one_minus_eps * wt * (is_target ? p - 1.0f : p);
  const float with_smoothing = g + eps_over_c * (w_total * p - wc);
  return eps_over_c == 0.0f ? g : with_smoothing;
}

// Softmax focal loss (multi-class form, defined in docs/kernels/losses.md): with logp_t = x_t - lse,
// p_t = exp(logp_t) and a = alpha w_t,
//   loss = -a (1 - p_t)^gamma logp_t
//   d loss / d x_c = a F (p_c - [c == t]),  F = (1 - p_t)^gamma - gamma p_t (1 - p_t)^(gamma-1) logp_t
// (F's second term is taken as 0 when 1 - p_t == 0 or gamma == 0, its limit). gamma = 0 and alpha = 1
// give cross-entropy.
DS_LOSS_HD float ds_loss_softmax_focal_value(float logp_t, float a, float gamma) {
  const float q = 1.0f - ds_loss_exp(logp_t);
  return -a * ds_loss_qpow<0>(q, gamma) * logp_t;
}
DS_LOSS_HD float ds_loss_softmax_focal_factor(float logp_t, float a, float gamma) {
  const float pt = ds_loss_exp(logp_t);
  const float q = 1.0f - pt;
  const float second = q == 0.0f ? 0.0f : pt * ds_loss_dqpow<0>(q, gamma) * logp_t;
  return a * (ds_loss_qpow<0>(q, gamma) - second);
}

// ---- region losses (Dice, Jaccard) -------------------------------------------------------------------
// segmentation_models_pytorch's DiceLoss / JaccardLoss semantics, per class c, from the sums over the
// batch and all positions I = sum p t, P = sum p, T = sum t (p: probabilities, t: targets, both
// masked by ignore_index):
//   dice    = (2 I + smooth) / max(P + T + smooth, eps)
//   jaccard = (I + smooth) / max(P + T - I + smooth, eps)
//   loss_c  = (log_loss ? -log(max(score, eps)) : 1 - score) * [T > 0]
#define DS_LOSS_DICE 0
#define DS_LOSS_JACCARD 1

DS_LOSS_HD float ds_loss_region_den(int kind, float i, float p, float t, float smooth) {
  return kind == DS_LOSS_DICE ? (p + t) + smooth : ((p + t) - i) + smooth;
}
DS_LOSS_HD float ds_loss_region_score(int kind, float i, float p, float t, float smooth, float eps) {
  const float num = kind == DS_LOSS_DICE ? 2.0f * i + smooth : i + smooth;
  const float den = ds_loss_region_den(kind, i, p, t, smooth);
  return num / (den < eps ? eps : den);
}
DS_LOSS_HD float ds_loss_region_class_loss(int kind, float i, float p, float t, float smooth, float eps, int log_loss) {
  const float score = ds_loss_region_score(kind, i, p, t, smooth, eps);
  const float l = log_loss ? -ds_loss_log(score < eps ? eps : score) : 1.0f - score;
  return t > 0.0f ? l : 0.0f;
}
// The gradient of r * loss_c with respect to each masked probability p of class c is a t + b (t the
// element's target), with, for D = max(den, eps) and ind = [den >= eps] (clamp_min's backward):
//   dice:    d score / d p = 2 t / D - score ind / D
//   jaccard: d score / d p = t / D - score ind (1 - t) / D
// times d loss / d score = -1 (or -1/score for log_loss when score >= eps, else 0) and [T > 0].
DS_LOSS_HD void ds_loss_region_class_coef(int kind, float i, float p, float t, float smooth, float eps, int log_loss,
                                          float r, float* a, float* b) {
  const float den = ds_loss_region_den(kind, i, p, t, smooth);
  const float d = den < eps ? eps : den;
  const float ind = den >= eps ? 1.0f : 0.0f;
  const float score = ds_loss_region_score(kind, i, p, t, smooth, eps);
  const float dl = log_loss ? (score >= eps ? -1.0f / score : 0.0f) : -1.0f;
  const float k = t > 0.0f ? r * dl : 0.0f;
  const float sb = -score * ind / d;
  *a = kind == DS_LOSS_DICE ? k * (2.0f / d) : k * (1.0f / d - sb);
  *b = k * sb;
}

// ---- hard negative mining (SSD) ----------------------------------------------------------------------
// Negatives are ranked by loss, largest first; ties (and equal keys) by the lower anchor index. A NaN
// loss ranks above every number (as torch.sort(descending=True) puts NaN first). The key is a uint32
// whose unsigned order is that loss order, so a radix select (CUDA) and a sort (CPU) agree exactly.
DS_LOSS_HD unsigned ds_loss_hnm_key(float loss) {
  const unsigned u = (unsigned)ds_loss_f2i(loss);
  const unsigned k = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
  return loss != loss ? 0xffffffffu : k;
}

// ---- YOLOv1 (one grid cell) ----------------------------------------------------------------------------
// Layout (docs/kernels/losses.md): a cell's predictions are B boxes of (x, y, w, h, confidence) then C
// class scores; its target is (x, y, w, h, objectness, C class scores). x, y are offsets in the cell,
// w, h fractions of the image. For a cell with an object the responsible predictor b* is the one with
// the highest IoU with the target (the first on ties); the loss is
//   l_coord [(x - x^)^2 + (y - y^)^2 + (r(w) - sqrt(w^))^2 + (r(h) - sqrt(h^))^2]   (predictor b*)
//   + (conf - target_conf)^2 (b*; target_conf = that IoU, or 1 when iou_target is 0)
//   + l_noobj sum_{b != b*} conf_b^2 + sum_c (p_c - p^_c)^2
// with r(v) = sign(v) sqrt(|v| + 1e-6) (the square root of a prediction that may go negative); a cell
// without an object adds l_noobj sum_b conf_b^2. IoU and b* are constants for the gradient.
// Returns the cell's loss; when grad is not null also writes scale * d loss / d pred for the cell.
DS_LOSS_HD float ds_loss_yolo_root(float v) {
  const float a = v < 0.0f ? -v : v;
  const float r = sqrtf(a + 1e-6f);
  return v < 0.0f ? -r : r;
}

DS_LOSS_HD float ds_loss_yolo_iou(float cx1, float cy1, float w1, float h1, float cx2, float cy2, float w2,
                                  float h2) {
  w1 = w1 > 0.0f ? w1 : 0.0f;
  h1 = h1 > 0.0f ? h1 : 0.0f;
  w2 = w2 > 0.0f ? w2 : 0.0f;
  h2 = h2 > 0.0f ? h2 : 0.0f;
  const float ax1 = cx1 - 0.5f * w1, ax2 = cx1 + 0.5f * w1, ay1 = cy1 - 0.5f * h1, ay2 = cy1 + 0.5f * h1;
  const float bx1 = cx2 - 0.5f * w2, bx2 = cx2 + 0.5f * w2, by1 = cy2 - 0.5f * h2, by2 = cy2 + 0.5f * h2;
  float iw = (ax2 < bx2 ? ax2 : bx2) - (ax1 > bx1 ? ax1 : bx1);
  float ih = (ay2 < by2 ? ay2 : by2) - (ay1 > by1 ? ay1 : by1);
  iw = iw > 0.0f ? iw : 0.0f;
  ih = ih > 0.0f ? ih : 0.0f;
  const float inter = iw * ih;
  const float uni = w1 * h1 + w2 * h2 - inter;
  return uni > 0.0f ? inter / uni : 0.0f;
}

DS_LOSS_HD float ds_loss_yolo_cell(const float* pred, const float* tgt, int row, int col, int grid, int nb, int nc,
                                   float lambda_coord, float lambda_noobj, int iou_target, float scale, float* grad) {
  float loss = 0.0f;
  const float* tp = tgt;
  const bool obj = tp[4] > 0.0f;
  int best = 0;
  float best_iou = -1.0f;
  if (obj) {
    const float tcx = (col + tp[0]) / grid, tcy = (row + tp[1]) / grid;
    for (int b = 0; b < nb; ++b) {
      const float* pb = pred + 5 * b;
      const float iou = ds_loss_yolo_iou((col + pb[0]) / grid, (row + pb[1]) / grid, pb[2], pb[3], tcx, tcy, tp[2],
                                         tp[3]);
      if (iou > best_iou) {
        best_iou = iou;
        best = b;
      }
    }
  }
  for (int b = 0; b < nb; ++b) {
    const float* pb = pred + 5 * b;
    float* gb = grad != nullptr ? grad + 5 * b : nullptr;
    if (obj && b == best) {
      const float dx = pb[0] - tp[0], dy = pb[1] - tp[1];
      const float rw = ds_loss_yolo_root(pb[2]), rh = ds_loss_yolo_root(pb[3]);
      const float dw = rw - sqrtf(tp[2]), dh = rh - sqrtf(tp[3]);
      const float ct = iou_target ? (best_iou > 0.0f ? best_iou : 0.0f) : 1.0f;
      const float dc = pb[4] - ct;
      loss += lambda_coord * (dx * dx + dy * dy) + lambda_coord * (dw * dw + dh * dh) + dc * dc;
      if (gb != nullptr) {
        const float aw = pb[2] < 0.0f ? -pb[2] : pb[2], ah = pb[3] < 0.0f ? -pb[3] : pb[3];
        gb[0] = scale * (2.0f * lambda_coord * dx);
        gb[1] = scale * (2.0f * lambda_coord * dy);
        gb[2] = scale * (2.0f * lambda_coord * dw * (0.5f / sqrtf(aw + 1e-6f)));
        gb[3] = scale * (2.0f * lambda_coord * dh * (0.5f / sqrtf(ah + 1e-6f)));
        gb[4] = scale * (2.0f * dc);
      }
    } else {
      loss += lambda_noobj * (pb[4] * pb[4]);
      if (gb != nullptr) {
        gb[0] = 0.0f;
        gb[1] = 0.0f;
        gb[2] = 0.0f;
        gb[3] = 0.0f;
        gb[4] = scale * (2.0f * lambda_noobj * pb[4]);
      }
    }
  }
  const float* pc = pred + 5 * nb;
  for (int k = 0; k < nc; ++k) {
    const float d = obj ? pc[k] - tp[5 + k] : 0.0f;
    loss += d * d;
    if (grad != nullptr) grad[5 * nb + k] = scale * (2.0f * d);
  }
  return loss;
}

// ---- class-index targets ---------------------------------------------------------------------------
// A target is used when it is in [0, C) and not ignore_index; ignore_index wins even inside [0, C).
// Anything else is an error the kernels report (the smallest bad position) instead of reading out of
// bounds.
DS_LOSS_HD bool ds_loss_target_ignored(int t, int ignore_index) { return t == ignore_index; }
DS_LOSS_HD bool ds_loss_target_bad(int t, int c, int ignore_index) {
  return t != ignore_index && (t < 0 || t >= c);
}
