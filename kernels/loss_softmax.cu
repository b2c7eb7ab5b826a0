// Softmax classification losses over logits laid out [N, C, S] (S = the product of the spatial dims;
// S = 1 for [N, C]): cross-entropy with class weights, ignore_index and label smoothing; the softmax
// focal loss; NLL on log-probabilities; and the finalize kernel every loss reduction ends with.
// Formulas: detseg/loss_math.cuh. Contracts and launch shapes: docs/kernels/losses.md.
//
// Two layouts, two kernels each:
//   * spatial (S > 1): one thread per position (n, s); the C logits of a position are S apart, so a
//     warp's 32 consecutive positions read 32 consecutive floats for each class (coalesced), and one
//     pass computes the log-sum-exp online (running max and rescaled sum).
//   * rows (S == 1): one warp per row of C contiguous logits; lanes stride the row (coalesced), keep
//     an online log-sum-exp each, and merge the 32 states with a shuffle butterfly.
// Reductions are deterministic (detseg/loss_device.cuh): partial (loss, denominator) sums per block
// in a fixed order, then ds_loss_finalize_f32 in one block. Targets outside [0, C) that are not
// ignore_index are never used to index memory: they count as ignored, and the smallest such
// position is recorded with an integer atomicMin in *bad (order-independent), so the caller can
// raise a clear error.
#include "detseg/kernel_api.cuh"
#include "detseg/loss_device.cuh"
#include "detseg/loss_math.cuh"

#define DS_SMX_MODE_CE 0
#define DS_SMX_MODE_FOCAL 1

// ---- file-local helpers (prefix ds_smx_) ------------------------------------------------------------

__device__ __forceinline__ float ds_smx_weight(const float* __restrict__ weight, int k) {
  return weight != nullptr ? __ldg(weight + k) : 1.0f;
}

// The loss of one used position: logp_t = (x_t - m) - log_s; the smoothing sum is W (lse - shift) - wx.
__device__ __forceinline__ float ds_smx_loss(int mode, float logp_t, float lse_minus_shift, float wt, float w_total,
                                             float wx, float one_minus_eps, float eps_over_c, float alpha,
                                             float gamma) {
  if (mode == DS_SMX_MODE_FOCAL) return ds_loss_softmax_focal_value(logp_t, alpha * wt, gamma);
  const float smooth = eps_over_c != 0.0f ? ds_loss_ce_smooth(w_total, lse_minus_shift, wx) : 0.0f;
  return ds_loss_ce_value(logp_t, wt, smooth, one_minus_eps, eps_over_c);
}

// Shuffle-butterfly merge of the lanes' log-sum-exp states and sums: every lane ends with the warp's
// totals (the merges are commutative, so all lanes hold identical bits).
__device__ __forceinline__ void ds_smx_warp_merge(DsLossLse& st, float& wx, float& wsum) {
  for (int off = 16; off > 0; off >>= 1) {
    DsLossLse o;
    o.m = __shfl_xor_sync(0xffffffffu, st.m, off);
    o.s = __shfl_xor_sync(0xffffffffu, st.s, off);
    const float owx = __shfl_xor_sync(0xffffffffu, wx, off);
    const float ows = __shfl_xor_sync(0xffffffffu, wsum, off);
    st = ds_loss_lse_merge(st, o);
    wx += owx;
    wsum += ows;
  }
}

// ---- cross-entropy / softmax focal: forward ----------------------------------------------------------
// Bound: memory (C floats read per position, one pass). Block 256, grid min(ceil(N*S/256), 1024), grid-
// stride: consecutive threads take consecutive positions so every class row is read coalesced, and a
// grid fixed by N*S keeps the partial sums (and so the result) reproducible.
extern "C" __global__ void ds_loss_softmax_fwd_spatial_f32(
    const float* __restrict__ x, const int* __restrict__ target, const float* __restrict__ weight, long long n,
    int c, long long s, int ignore_index, int mode, float one_minus_eps, float eps_over_c, float alpha,
    float gamma, int reduction, float* __restrict__ out, float* __restrict__ partials,
    float* __restrict__ log_prob, long long* __restrict__ bad) {
  DS_SHARED(float, s_red, 64);
  const long long total = n * s;
  const long long stride = (long long)gridDim.x * blockDim.x;
  const bool smoothing = mode == DS_SMX_MODE_CE && eps_over_c != 0.0f;
  float acc_loss = 0.0f;
  float acc_den = 0.0f;
  for (long long p = (long long)blockIdx.x * blockDim.x + threadIdx.x; p < total; p += stride) {
    const long long ni = p / s;
    const long long si = p - ni * s;
    const float* __restrict__ xp = x + ni * c * s + si;
    const int t = __ldg(target + p);
    const bool is_bad = ds_loss_target_bad(t, c, ignore_index);
    if (is_bad) atomicMin(bad, p);
    const bool use = !is_bad && !ds_loss_target_ignored(t, ignore_index);
    const float shift = ds_loss_finite_or_zero(__ldg(xp));
    DsLossLse st;
    st.m = -INFINITY;
    st.s = 0.0f;
    float wx = 0.0f;
    float wsum = 0.0f;
    float xt = 0.0f;
    for (int k = 0; k < c; ++k) {
      const float v = __ldg(xp + (long long)k * s);
      ds_loss_lse_add(st, v);
      if (smoothing) {
        const float wk = ds_smx_weight(weight, k);
        wx += wk * (v - shift);
        wsum += wk;
      }
      xt = k == t ? v : xt;
    }
    const float log_s = ds_loss_log(st.s);
    float loss = 0.0f;
    float den = 0.0f;
    if (use) {
      const float wt = ds_smx_weight(weight, t);
      loss = ds_smx_loss(mode, (xt - st.m) - log_s, (st.m - shift) + log_s, wt, wsum, wx, one_minus_eps, eps_over_c,
                         alpha, gamma);
      den = mode == DS_SMX_MODE_FOCAL ? 1.0f : wt;
    }
    if (reduction == DS_LOSS_NONE) {
      out[p] = loss;
    } else {
      acc_loss += loss;
      acc_den += den;
    }
    if (log_prob != nullptr) {
      float* __restrict__ lp = log_prob + ni * c * s + si;
      for (int k = 0; k < c; ++k) lp[(long long)k * s] = (__ldg(xp + (long long)k * s) - st.m) - log_s;
    }
  }
  if (reduction != DS_LOSS_NONE) ds_loss_store_partials2(acc_loss, acc_den, partials, s_red);
}
DS_EXPORT_KERNEL(ds_loss_softmax_fwd_spatial_f32)

// Bound: memory (each row read once, coalesced across the warp). Block 256 = 8 rows in flight, grid
// min(ceil(N/8), 1024) grid-striding over rows; a row per warp keeps the C-long reduction in
// registers and shuffles (no shared memory, no barrier inside the loop).
extern "C" __global__ void ds_loss_softmax_fwd_rows_f32(
    const float* __restrict__ x, const int* __restrict__ target, const float* __restrict__ weight, long long n,
    int c, int ignore_index, int mode, float one_minus_eps, float eps_over_c, float alpha, float gamma,
    int reduction, float* __restrict__ out, float* __restrict__ partials, float* __restrict__ log_prob,
    long long* __restrict__ bad) {
  DS_SHARED(float, s_red, 64);
  const int lane = threadIdx.x & 31;
  const long long first = ((long long)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
  const long long nwarps = ((long long)gridDim.x * blockDim.x) >> 5;
  const bool smoothing = mode == DS_SMX_MODE_CE && eps_over_c != 0.0f;
  float acc_loss = 0.0f;
  float acc_den = 0.0f;
  for (long long row = first; row < n; row += nwarps) {  // warp-uniform: every lane takes the same rows
    const float* __restrict__ xr = x + row * c;
    const int t = __ldg(target + row);
    const bool is_bad = ds_loss_target_bad(t, c, ignore_index);
    if (is_bad && lane == 0) atomicMin(bad, row);
    const bool use = !is_bad && !ds_loss_target_ignored(t, ignore_index);
    const float shift = ds_loss_finite_or_zero(__ldg(xr));
    DsLossLse st;
    st.m = -INFINITY;
    st.s = 0.0f;
    float wx = 0.0f;
    float wsum = 0.0f;
    for (int k = lane; k < c; k += 32) {
      const float v = __ldg(xr + k);
      ds_loss_lse_add(st, v);
      if (smoothing) {
        const float wk = ds_smx_weight(weight, k);
        wx += wk * (v - shift);
        wsum += wk;
      }
    }
    ds_smx_warp_merge(st, wx, wsum);
    const float log_s = ds_loss_log(st.s);
    if (lane == 0) {
      float loss = 0.0f;
      float den = 0.0f;
      if (use) {
        const float wt = ds_smx_weight(weight, t);
        loss = ds_smx_loss(mode, (__ldg(xr + t) - st.m) - log_s, (st.m - shift) + log_s, wt, wsum, wx,
                           one_minus_eps, eps_over_c, alpha, gamma);
        den = mode == DS_SMX_MODE_FOCAL ? 1.0f : wt;
      }
      if (reduction == DS_LOSS_NONE) {
        out[row] = loss;
      } else {
        acc_loss += loss;
        acc_den += den;
      }
    }
    if (log_prob != nullptr) {
      float* __restrict__ lp = log_prob + row * c;
      for (int k = lane; k < c; k += 32) lp[k] = (__ldg(xr + k) - st.m) - log_s;
    }
  }
  if (reduction != DS_LOSS_NONE) ds_loss_store_partials2(acc_loss, acc_den, partials, s_red);
}
DS_EXPORT_KERNEL(ds_loss_softmax_fwd_rows_f32)

// ---- cross-entropy / softmax focal: backward ---------------------------------------------------------
// scale = grad_out[p or 0] / (*denom for mean); grad = scale * d loss / d x (loss_math.cuh).
__device__ __forceinline__ float ds_smx_scale(const float* __restrict__ grad_out, int grad_elementwise, long long p,
                                              const float* __restrict__ denom) {
  const float g = __ldg(grad_out + (grad_elementwise ? p : 0));
  return denom != nullptr ? g / __ldg(denom) : g;
}

// Bound: memory (C floats read twice, C written). Launch shape as the spatial forward: a thread per
// position, so both the reads and the writes of each class row are coalesced.
extern "C" __global__ void ds_loss_softmax_bwd_spatial_f32(
    const float* __restrict__ x, const int* __restrict__ target, const float* __restrict__ weight, long long n,
    int c, long long s, int ignore_index, int mode, float one_minus_eps, float eps_over_c, float alpha,
    float gamma, const float* __restrict__ grad_out, int grad_elementwise, const float* __restrict__ denom,
    float* __restrict__ grad_in, long long* __restrict__ bad) {
  const long long total = n * s;
  const long long stride = (long long)gridDim.x * blockDim.x;
  const bool smoothing = mode == DS_SMX_MODE_CE && eps_over_c != 0.0f;
  for (long long p = (long long)blockIdx.x * blockDim.x + threadIdx.x; p < total; p += stride) {
    const long long ni = p / s;
    const long long si = p - ni * s;
    const float* __restrict__ xp = x + ni * c * s + si;
    float* __restrict__ gp = grad_in + ni * c * s + si;
    const int t = __ldg(target + p);
    const bool is_bad = ds_loss_target_bad(t, c, ignore_index);
    if (is_bad) atomicMin(bad, p);
    if (is_bad || ds_loss_target_ignored(t, ignore_index)) {
      for (int k = 0; k < c; ++k) gp[(long long)k * s] = 0.0f;
      continue;
    }
    DsLossLse st;
    st.m = -INFINITY;
    st.s = 0.0f;
    float wsum = 0.0f;
    float xt = 0.0f;
    for (int k = 0; k < c; ++k) {
      const float v = __ldg(xp + (long long)k * s);
      ds_loss_lse_add(st, v);
      if (smoothing) wsum += ds_smx_weight(weight, k);
      xt = k == t ? v : xt;
    }
    const float lse = st.m + ds_loss_log(st.s);
    const float wt = ds_smx_weight(weight, t);
    const float scale = ds_smx_scale(grad_out, grad_elementwise, p, denom);
    if (mode == DS_SMX_MODE_FOCAL) {
      const float f = scale * ds_loss_softmax_focal_factor(xt - lse, alpha * wt, gamma);
      for (int k = 0; k < c; ++k) {
        const float pk = ds_loss_exp(__ldg(xp + (long long)k * s) - lse);
        gp[(long long)k * s] = f * (k == t ? pk - 1.0f : pk);
      }
    } else {
      for (int k = 0; k < c; ++k) {
        const float pk = ds_loss_exp(__ldg(xp + (long long)k * s) - lse);
        const float wk = smoothing ? ds_smx_weight(weight, k) : 1.0f;
        gp[(long long)k * s] = scale * ds_loss_ce_grad(pk, k == t, wt, wsum, wk, one_minus_eps, eps_over_c);
      }
    }
  }
}
DS_EXPORT_KERNEL(ds_loss_softmax_bwd_spatial_f32)

// Bound: memory (each row read twice, written once, coalesced). Launch shape as the rows forward.
extern "C" __global__ void ds_loss_softmax_bwd_rows_f32(
    const float* __restrict__ x, const int* __restrict__ target, const float* __restrict__ weight, long long n,
    int c, int ignore_index, int mode, float one_minus_eps, float eps_over_c, float alpha, float gamma,
    const float* __restrict__ grad_out, int grad_elementwise, const float* __restrict__ denom,
    float* __restrict__ grad_in, long long* __restrict__ bad) {
  const int lane = threadIdx.x & 31;
  const long long first = ((long long)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
  const long long nwarps = ((long long)gridDim.x * blockDim.x) >> 5;
  const bool smoothing = mode == DS_SMX_MODE_CE && eps_over_c != 0.0f;
  for (long long row = first; row < n; row += nwarps) {
    const float* __restrict__ xr = x + row * c;
    float* __restrict__ gr = grad_in + row * c;
    const int t = __ldg(target + row);
    const bool is_bad = ds_loss_target_bad(t, c, ignore_index);
    if (is_bad && lane == 0) atomicMin(bad, row);
    if (is_bad || ds_loss_target_ignored(t, ignore_index)) {  // warp-uniform
      for (int k = lane; k < c; k += 32) gr[k] = 0.0f;
      continue;
    }
    DsLossLse st;
    st.m = -INFINITY;
    st.s = 0.0f;
    float wx = 0.0f;  // unused here; the merge helper carries it
    float wsum = 0.0f;
    for (int k = lane; k < c; k += 32) {
      ds_loss_lse_add(st, __ldg(xr + k));
      if (smoothing) wsum += ds_smx_weight(weight, k);
    }
    ds_smx_warp_merge(st, wx, wsum);
    const float lse = st.m + ds_loss_log(st.s);
    const float wt = ds_smx_weight(weight, t);
    const float scale = ds_smx_scale(grad_out, grad_elementwise, row, denom);
    if (mode == DS_SMX_MODE_FOCAL) {
      const float f = scale * ds_loss_softmax_focal_factor(__ldg(xr + t) - lse, alpha * wt, gamma);
      for (int k = lane; k < c; k += 32) {
        const float pk = ds_loss_exp(__ldg(xr + k) - lse);
        gr[k] = f * (k == t ? pk - 1.0f : pk);
      }
    } else {
      for (int k = lane; k < c; k += 32) {
        const float pk = ds_loss_exp(__ldg(xr + k) - lse);
        const float wk = smoothing ? ds_smx_weight(weight, k) : 1.0f;
        gr[k] = scale * ds_loss_ce_grad(pk, k == t, wt, wsum, wk, one_minus_eps, eps_over_c);
      }
    }
  }
}
DS_EXPORT_KERNEL(ds_loss_softmax_bwd_rows_f32)

// ---- denominators ----------------------------------------------------------------------------------
// Partial sums of the mean's denominator over positions: w[t] (or 1 with count_only) for each used
// target; records bad targets. Followed by ds_loss_finalize_f32 with reduction sum.
// Bound: memory (4 bytes per position). Block 256, grid min(ceil(P/256), 1024) as the forwards.
extern "C" __global__ void ds_loss_target_weight_partial_f32(const int* __restrict__ target,
                                                             const float* __restrict__ weight, long long count,
                                                             int c, int ignore_index, int count_only,
                                                             float* __restrict__ partials,
                                                             long long* __restrict__ bad) {
  DS_SHARED(float, s_red, 64);
  const long long stride = (long long)gridDim.x * blockDim.x;
  float acc = 0.0f;
  for (long long p = (long long)blockIdx.x * blockDim.x + threadIdx.x; p < count; p += stride) {
    const int t = __ldg(target + p);
    const bool is_bad = ds_loss_target_bad(t, c, ignore_index);
    if (is_bad) atomicMin(bad, p);
    if (!is_bad && !ds_loss_target_ignored(t, ignore_index)) acc += count_only ? 1.0f : ds_smx_weight(weight, t);
  }
  ds_loss_store_partials2(acc, 0.0f, partials, s_red);
}
DS_EXPORT_KERNEL(ds_loss_target_weight_partial_f32)

// ---- NLL ---------------------------------------------------------------------------------------------
// torch.nn.functional.nll_loss on log-probabilities x [N, C, S]: loss = -w[t] x[t] per used position.
// Bound: memory/latency (one gathered float per position). Launch shape as the spatial forward.
extern "C" __global__ void ds_loss_nll_fwd_f32(const float* __restrict__ x, const int* __restrict__ target,
                                               const float* __restrict__ weight, long long n, int c, long long s,
                                               int ignore_index, int reduction, float* __restrict__ out,
                                               float* __restrict__ partials, long long* __restrict__ bad) {
  DS_SHARED(float, s_red, 64);
  const long long total = n * s;
  const long long stride = (long long)gridDim.x * blockDim.x;
  float acc_loss = 0.0f;
  float acc_den = 0.0f;
  for (long long p = (long long)blockIdx.x * blockDim.x + threadIdx.x; p < total; p += stride) {
    const long long ni = p / s;
    const long long si = p - ni * s;
    const int t = __ldg(target + p);
    const bool is_bad = ds_loss_target_bad(t, c, ignore_index);
    if (is_bad) atomicMin(bad, p);
    float loss = 0.0f;
    float den = 0.0f;
    if (!is_bad && !ds_loss_target_ignored(t, ignore_index)) {
      den = ds_smx_weight(weight, t);
      loss = -den * __ldg(x + (ni * c + t) * s + si);
    }
    if (reduction == DS_LOSS_NONE) {
      out[p] = loss;
    } else {
      acc_loss += loss;
      acc_den += den;
    }
  }
  if (reduction != DS_LOSS_NONE) ds_loss_store_partials2(acc_loss, acc_den, partials, s_red);
}
DS_EXPORT_KERNEL(ds_loss_nll_fwd_f32)

// d nll / d x: -w[t] * scale at (n, t, s), 0 elsewhere. One thread per element of grad_in, so the
// writes are coalesced whatever the layout (no separate zero fill).
// Bound: memory (one float written per element). Block 256, grid min(ceil(N*C*S/1024), 4096).
extern "C" __global__ void ds_loss_nll_bwd_f32(const int* __restrict__ target, const float* __restrict__ weight,
                                               long long n, int c, long long s, int ignore_index,
                                               const float* __restrict__ grad_out, int grad_elementwise,
                                               const float* __restrict__ denom, float* __restrict__ grad_in,
                                               long long* __restrict__ bad) {
  const long long total = n * c * s;
  const long long stride = (long long)gridDim.x * blockDim.x;
  const long long cs = (long long)c * s;
  for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
    const long long ni = e / cs;
    const long long rem = e - ni * cs;
    const long long ci = rem / s;
    const long long si = rem - ci * s;
    const long long p = ni * s + si;
    const int t = __ldg(target + p);
    const bool is_bad = ds_loss_target_bad(t, c, ignore_index);
    if (is_bad && ci == 0) atomicMin(bad, p);
    float g = 0.0f;
    if (!is_bad && t == ci && !ds_loss_target_ignored(t, ignore_index)) {
      g = -ds_smx_weight(weight, t) * ds_smx_scale(grad_out, grad_elementwise, p, denom);
    }
    grad_in[e] = g;
  }
}
DS_EXPORT_KERNEL(ds_loss_nll_bwd_f32)

// ---- finalize ----------------------------------------------------------------------------------------
// out[0] = L or L / D from partial sums: partials[0, count) are loss sums, partials[count, 2 count)
// denominator sums. fixed_denom > 0 replaces D (the element count of a plain mean). *denom_out (if
// not null) receives D. Mean with D == 0 gives L / 0 (NaN for 0 / 0, as PyTorch's mean of nothing).
// Bound: latency (one block folds <= 1024 pairs). Block 256; only block 0 works.
extern "C" __global__ void ds_loss_finalize_f32(const float* __restrict__ partials, int count, int reduction,
                                                float fixed_denom, float* __restrict__ out,
                                                float* __restrict__ denom_out) {
  DS_SHARED(float, s_red, 64);
  if (blockIdx.x != 0) return;  // block-uniform
  float l = 0.0f;
  float d = 0.0f;
  for (int i = threadIdx.x; i < count; i += blockDim.x) {
    l += __ldg(partials + i);
    d += __ldg(partials + count + i);
  }
  ds_loss_block_sum2(l, d, s_red);
  if (threadIdx.x == 0) {
    if (fixed_denom > 0.0f) d = fixed_denom;
    out[0] = reduction == DS_LOSS_MEAN ? l / d : l;
    if (denom_out != nullptr) *denom_out = d;
  }
}
DS_EXPORT_KERNEL(ds_loss_finalize_f32)
