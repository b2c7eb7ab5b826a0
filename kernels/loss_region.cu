// Region losses (Dice, Jaccard / soft IoU) over predictions x laid out [N, C, S], in
// segmentation_models_pytorch's binary / multiclass / multilabel modes, from logits or probabilities,
// with smoothing, eps, log_loss and ignore_index. Formulas: detseg/loss_math.cuh; contracts:
// docs/kernels/losses.md.
//
// Launches (all deterministic: per-(class, chunk) partials folded in chunk order by one block):
//   1. multiclass from logits only: ds_loss_region_lse_f32, log-sum-exp per position into a [N, S] buffer;
//   2. ds_loss_region_stats_f32, grid (chunks, C): block (b, c) sums (p t, p, t) of class c over its
//      grid-stride positions, block-reduced, into partials[(3 c + k) * chunks + b];
//   3. ds_loss_region_finalize_f32 (one block): per-class sums, losses, the reduction, and for the
//      backward the per-class coefficients (a_c, b_c) of d loss / d p = a_c t + b_c;
//   4. backward: ds_loss_region_bwd_f32, a thread per position (softmax's Jacobian needs the whole
//      class column), chaining through sigmoid / softmax / identity.
#include "detseg/kernel_api.cuh"
#include "detseg/loss_device.cuh"
#include "detseg/loss_math.cuh"

#define DS_RGN_BINARY 0
#define DS_RGN_MULTICLASS 1
#define DS_RGN_MULTILABEL 2

// Bound: memory (C floats per position, one pass). Block 256, grid min(ceil(N*S/256), 1024), a thread per
// position so each class row is read coalesced.
extern "C" __global__ void ds_loss_region_lse_f32(const float* __restrict__ x, long long n, int c, long long s,
                                                  float* __restrict__ lse) {
  const long long total = n * s;
  const long long stride = (long long)gridDim.x * blockDim.x;
  for (long long p = (long long)blockIdx.x * blockDim.x + threadIdx.x; p < total; p += stride) {
    const long long ni = p / s;
    const float* __restrict__ xp = x + ni * c * s + (p - ni * s);
    DsLossLse st;
    st.m = -INFINITY;
    st.s = 0.0f;
    for (int k = 0; k < c; ++k) ds_loss_lse_add(st, __ldg(xp + (long long)k * s));
    lse[p] = st.m + ds_loss_log(st.s);
  }
}
DS_EXPORT_KERNEL(ds_loss_region_lse_f32)

// The masked probability and target of class k at position p (flat element e of x).
__device__ __forceinline__ void ds_rgn_element(const float* __restrict__ x, const float* __restrict__ lse,
                                               const float* __restrict__ tf, const int* __restrict__ ti, long long e,
                                               long long p, int k, int c, int mode, int from_logits,
                                               int has_ignore, int ignore_index, float& prob, float& tgt,
                                               float& raw_p, bool& used, long long* __restrict__ bad) {
  const float xv = __ldg(x + e);
  if (mode == DS_RGN_MULTICLASS) {
    const int t = __ldg(ti + p);
    const bool ignored = has_ignore && t == ignore_index;
    const bool is_bad = !ignored && (t < 0 || t >= c);
    if (is_bad && k == 0 && bad != nullptr) atomicMin(bad, p);
    used = !ignored && !is_bad;
    raw_p = from_logits ? ds_loss_exp(xv - __ldg(lse + p)) : xv;
    tgt = used && t == k ? 1.0f : 0.0f;
  } else {
    const float t = __ldg(tf + e);
    used = !(has_ignore && t == (float)ignore_index);
    raw_p = from_logits ? ds_loss_logistic(xv).p : xv;
    tgt = used ? t : 0.0f;
  }
  prob = used ? raw_p : 0.0f;
}

// Bound: memory (one float, and the target, per element). Block 256, grid (G, C) with G = min(ceil(N*S/256),
// max(1, 1024 / C)): a class per blockIdx.y keeps each block's three sums in registers, and G fixed by
// the size keeps the fold order (and so the result) reproducible.
extern "C" __global__ void ds_loss_region_stats_f32(const float* __restrict__ x, const float* __restrict__ lse,
                                                    const float* __restrict__ tf, const int* __restrict__ ti,
                                                    long long n, int c, long long s, int mode, int from_logits,
                                                    int has_ignore, int ignore_index, float* __restrict__ partials,
                                                    long long* __restrict__ bad) {
  DS_SHARED(float, s_red, 64);
  const int k = blockIdx.y;
  const long long total = n * s;
  const long long stride = (long long)gridDim.x * blockDim.x;
  float si = 0.0f;
  float sp = 0.0f;
  float st = 0.0f;
  for (long long p = (long long)blockIdx.x * blockDim.x + threadIdx.x; p < total; p += stride) {
    const long long ni = p / s;
    const long long e = (ni * c + k) * s + (p - ni * s);
    float prob, tgt, raw;
    bool used;
    ds_rgn_element(x, lse, tf, ti, e, p, k, c, mode, from_logits, has_ignore,
                   ignore_index, prob, tgt, raw, used, bad);
    si += prob * tgt;
    sp += prob;
    st += tgt;
  }
  float z = 0.0f;
  ds_loss_block_sum2(si, sp, s_red);
  __syncthreads();  // s_red is reused
  ds_loss_block_sum2(st, z, s_red);
  if (threadIdx.x == 0) {
    const long long g = gridDim.x;
    partials[(3LL * k + 0) * g + blockIdx.x] = si;
    partials[(3LL * k + 1) * g + blockIdx.x] = sp;
    partials[(3LL * k + 2) * g + blockIdx.x] = st;
  }
}
DS_EXPORT_KERNEL(ds_loss_region_stats_f32)

// One block: thread j folds classes j, j + blockDim, ... (their chunk partials in chunk order), writes
// per-class losses (reduction none) or folds them (mean / sum, block reduction), and, if coef is not
// null, the backward coefficients coef[2k] = a_k, coef[2k + 1] = b_k for the upstream gradient go
// (go[k] for none, go[0] otherwise).
// Bound: latency (C * chunks values). Block 256; only block 0 works.
extern "C" __global__ void ds_loss_region_finalize_f32(const float* __restrict__ partials, int chunks, int c, int kind,
                                                       float smooth, float eps, int log_loss, int reduction,
                                                       float* __restrict__ out, const float* __restrict__ go,
                                                       float* __restrict__ coef) {
  DS_SHARED(float, s_red, 64);
  if (blockIdx.x != 0) return;  // block-uniform
  float acc = 0.0f;
  for (int k = threadIdx.x; k < c; k += blockDim.x) {
    float si = 0.0f;
    float sp = 0.0f;
    float st = 0.0f;
    for (int b = 0; b < chunks; ++b) {
      si += __ldg(partials + (3LL * k + 0) * chunks + b);
      sp += __ldg(partials + (3LL * k + 1) * chunks + b);
      st += __ldg(partials + (3LL * k + 2) * chunks + b);
    }
    const float l = ds_loss_region_class_loss(kind, si, sp, st, smooth, eps, log_loss);
    if (out != nullptr && reduction == DS_LOSS_NONE) out[k] = l;
    acc += l;
    if (coef != nullptr) {
      const float r = reduction == DS_LOSS_NONE ? __ldg(go + k)
                                                : (reduction == DS_LOSS_MEAN ? __ldg(go) / (float)c : __ldg(go));
      float a, b2;
      ds_loss_region_class_coef(kind, si, sp, st, smooth, eps, log_loss, r, &a, &b2);
      coef[2 * k] = a;
      coef[2 * k + 1] = b2;
    }
  }
  float z = 0.0f;
  ds_loss_block_sum2(acc, z, s_red);
  if (threadIdx.x == 0 && out != nullptr && reduction != DS_LOSS_NONE) {
    out[0] = reduction == DS_LOSS_MEAN ? acc / (float)c : acc;
  }
}
DS_EXPORT_KERNEL(ds_loss_region_finalize_f32)

// d loss / d x. Multiclass: g_p[k] = a_k t_k + b_k for used positions; from logits
// g_x[k] = p_k (g_p[k] - sum_j p_j g_p[j]). Binary / multilabel: g_x = g_p * p (1 - p) from logits.
// Bound: memory (x read twice per position for softmax, once otherwise; one write). Launch shape as
// ds_loss_region_lse_f32 (a thread per position, class rows coalesced).
extern "C" __global__ void ds_loss_region_bwd_f32(const float* __restrict__ x, const float* __restrict__ lse,
                                                  const float* __restrict__ tf, const int* __restrict__ ti,
                                                  long long n, int c, long long s, int mode, int from_logits,
                                                  int has_ignore, int ignore_index, const float* __restrict__ coef,
                                                  float* __restrict__ grad_in) {
  const long long total = n * s;
  const long long stride = (long long)gridDim.x * blockDim.x;
  for (long long p = (long long)blockIdx.x * blockDim.x + threadIdx.x; p < total; p += stride) {
    const long long ni = p / s;
    const long long base = ni * c * s + (p - ni * s);
    float dot = 0.0f;
    if (mode == DS_RGN_MULTICLASS && from_logits) {
      for (int k = 0; k < c; ++k) {
        float prob, tgt, raw;
        bool used;
        ds_rgn_element(x, lse, tf, ti, base + (long long)k * s, p, k, c, mode, from_logits, has_ignore, ignore_index,
                       prob, tgt, raw, used, nullptr);
        const float gp = used ? __ldg(coef + 2 * k) * tgt + __ldg(coef + 2 * k + 1) : 0.0f;
        dot += raw * gp;
      }
    }
    for (int k = 0; k < c; ++k) {
      const long long e = base + (long long)k * s;
      float prob, tgt, raw;
      bool used;
      ds_rgn_element(x, lse, tf, ti, e, p, k, c, mode, from_logits, has_ignore, ignore_index, prob, tgt, raw, used,
                     nullptr);
      const float gp = used ? __ldg(coef + 2 * k) * tgt + __ldg(coef + 2 * k + 1) : 0.0f;
      float g;
      if (!from_logits) {
        g = gp;
      } else if (mode == DS_RGN_MULTICLASS) {
        g = raw * (gp - dot);
      } else {
        g = gp * (raw * (1.0f - raw));
      }
      grad_in[e] = g;
    }
  }
}
DS_EXPORT_KERNEL(ds_loss_region_bwd_f32)
