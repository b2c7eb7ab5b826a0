// Pointwise losses: one loss term per element of x (and of the target t), optionally weighted by a
// broadcast weight and pos_weight, then reduced (none / mean / sum). Kinds: binary_cross_entropy,
// binary_cross_entropy_with_logits, sigmoid focal, class-balanced BCE, smooth L1, L1, MSE; each has a
// forward, a backward and a fused forward+backward kernel (ds_loss_pw_{fwd,bwd,fused}_<kind>_f32).
// Formulas: detseg/loss_math.cuh. Contracts: docs/kernels/losses.md.
//
// Broadcast weights: element i uses w[(i / inner) % mid], which covers a weight whose non-1 dims
// are one contiguous run of x's dims (same shape, a scalar, [C] over [N, C], [C, 1, 1] over
// [N, C, H, W], ...). A null pointer means 1.
#include "detseg/kernel_api.cuh"
#include "detseg/loss_device.cuh"
#include "detseg/loss_math.cuh"

// ---- file-local helpers (prefix ds_pw_) ----------------------------------------------------------------

__device__ __forceinline__ float ds_pw_bcast(const float* __restrict__ w, long long inner, long long mid, long long i) {
  return w != nullptr ? __ldg(w + (i / inner) % mid) : 1.0f;
}

// Input checks a kind runs in its forward: binary_cross_entropy needs probabilities in [0, 1]
// (NaN passes: NaN in, NaN out).
template <class K>
struct DsPwCheck {
  static __device__ __forceinline__ bool bad(float x) { return false; }
};
template <>
struct DsPwCheck<DsLossBce> {
  static __device__ __forceinline__ bool bad(float x) { return x < 0.0f || x > 1.0f; }
};

// Loss and gradient together; the focal loss shares its intermediates.
template <class K>
struct DsPwBoth {
  static __device__ __forceinline__ void eval(float x, float t, float w, float pw, float a, float b, float& v,
                                              float& g) {
    v = K::value(x, t, w, pw, a, b);
    g = K::grad(x, t, w, pw, a, b);
  }
};
template <int G>
struct DsPwBoth<DsLossFocalG<G> > {
  static __device__ __forceinline__ void eval(float x, float t, float w, float pw, float a, float b, float& v,
                                              float& g) {
    const DsLossFocalTerms f = ds_loss_focal_terms(x, t, a);
    v = ds_loss_focal_value<G>(f, b);
    g = ds_loss_focal_grad<G>(f, t, b);
  }
};

// With reduction none: out[i] = loss; otherwise the block's loss sum goes to partials[blockIdx.x]
// (denominator partials are 0: the mean divides by n in ds_loss_finalize_f32).
template <class K>
__device__ __forceinline__ void ds_pw_fwd(const float* __restrict__ x, const float* __restrict__ t,
                                          const float* __restrict__ w, long long w_inner, long long w_mid,
                                          const float* __restrict__ pw, long long pw_inner, long long pw_mid, float a,
                                          float b, long long n, int reduction, float* __restrict__ out,
                                          float* __restrict__ partials, long long* __restrict__ bad, float* s_red) {
  const long long stride = (long long)gridDim.x * blockDim.x;
  float acc = 0.0f;
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
    const float xv = __ldg(x + i);
    if (DsPwCheck<K>::bad(xv)) atomicMin(bad, i);
    const float v = K::value(xv, t != nullptr ? __ldg(t + i) : 0.0f, ds_pw_bcast(w, w_inner, w_mid, i),
                             ds_pw_bcast(pw, pw_inner, pw_mid, i), a, b);
    if (reduction == DS_LOSS_NONE) {
      out[i] = v;
    } else {
      acc += v;
    }
  }
  if (reduction != DS_LOSS_NONE) ds_loss_store_partials2(acc, 0.0f, partials, s_red);
}

// grad_in[i] = d loss_i / d x_i * grad_out[i or 0] / divisor (divisor = n for mean, else 1).
template <class K>
__device__ __forceinline__ void ds_pw_bwd(const float* __restrict__ x, const float* __restrict__ t,
                                          const float* __restrict__ w, long long w_inner, long long w_mid,
                                          const float* __restrict__ pw, long long pw_inner, long long pw_mid, float a,
                                          float b, long long n, const float* __restrict__ grad_out,
                                          int grad_elementwise, float divisor, float* __restrict__ grad_in) {
  const long long stride = (long long)gridDim.x * blockDim.x;
  const float g0 = grad_elementwise ? 0.0f : __ldg(grad_out);
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
    const float g = K::grad(__ldg(x + i), t != nullptr ? __ldg(t + i) : 0.0f, ds_pw_bcast(w, w_inner, w_mid, i),
                            ds_pw_bcast(pw, pw_inner, pw_mid, i), a, b);
    grad_in[i] = g * (grad_elementwise ? __ldg(grad_out + i) : g0) / divisor;
  }
}

// Forward and backward in one pass for a unit upstream gradient: out as ds_pw_fwd, grad_in[i] =
// d out / d x_i (divided by n for mean).
template <class K>
__device__ __forceinline__ void ds_pw_fused(const float* __restrict__ x, const float* __restrict__ t,
                                            const float* __restrict__ w, long long w_inner, long long w_mid,
                                            const float* __restrict__ pw, long long pw_inner, long long pw_mid,
                                            float a, float b, long long n, int reduction, float divisor,
                                            float* __restrict__ out, float* __restrict__ partials,
                                            float* __restrict__ grad_in, long long* __restrict__ bad, float* s_red) {
  const long long stride = (long long)gridDim.x * blockDim.x;
  float acc = 0.0f;
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
    const float xv = __ldg(x + i);
    if (DsPwCheck<K>::bad(xv)) atomicMin(bad, i);
    float v, g;
    DsPwBoth<K>::eval(xv, t != nullptr ? __ldg(t + i) : 0.0f, ds_pw_bcast(w, w_inner, w_mid, i),
                      ds_pw_bcast(pw, pw_inner, pw_mid, i), a, b, v, g);
    grad_in[i] = g / divisor;
    if (reduction == DS_LOSS_NONE) {
      out[i] = v;
    } else {
      acc += v;
    }
  }
  if (reduction != DS_LOSS_NONE) ds_loss_store_partials2(acc, 0.0f, partials, s_red);
}

// Bound: memory (8-12 bytes in, 4 out per element; the transcendental math hides under the loads).
// Block 256, grid min(ceil(n/256), 1024) grid-stride: a grid fixed by n alone keeps the partial sums
// reproducible; scalar loads (not float4) because the broadcast weights are gathered per element.
#define DS_PW_KERNELS(kind, K)                                                                                  \
  extern "C" __global__ void ds_loss_pw_fwd_##kind##_f32(                                                      \
      const float* __restrict__ x, const float* __restrict__ t, const float* __restrict__ w, long long w_inner, \
      long long w_mid, const float* __restrict__ pw, long long pw_inner, long long pw_mid, float a, float b,    \
      long long n, int reduction, float* __restrict__ out, float* __restrict__ partials,                        \
      long long* __restrict__ bad) {                                                                            \
    DS_SHARED(float, s_red, 64);                                                                                \
    ds_pw_fwd<K>(x, t, w, w_inner, w_mid, pw, pw_inner, pw_mid, a, b, n, reduction, out, partials, bad, s_red); \
  }                                                                                                             \
  DS_EXPORT_KERNEL(ds_loss_pw_fwd_##kind##_f32)                                                                 \
  extern "C" __global__ void ds_loss_pw_bwd_##kind##_f32(                                                      \
      const float* __restrict__ x, const float* __restrict__ t, const float* __restrict__ w, long long w_inner, \
      long long w_mid, const float* __restrict__ pw, long long pw_inner, long long pw_mid, float a, float b,    \
      long long n, const float* __restrict__ grad_out, int grad_elementwise, float divisor,                     \
      float* __restrict__ grad_in) {                                                                            \
    ds_pw_bwd<K>(x, t, w, w_inner, w_mid, pw, pw_inner, pw_mid, a, b, n, grad_out, grad_elementwise, divisor,  \
                 grad_in);                                                                                      \
  }                                                                                                             \
  DS_EXPORT_KERNEL(ds_loss_pw_bwd_##kind##_f32)                                                                 \
  extern "C" __global__ void ds_loss_pw_fused_##kind##_f32(                                                    \
      const float* __restrict__ x, const float* __restrict__ t, const float* __restrict__ w, long long w_inner, \
      long long w_mid, const float* __restrict__ pw, long long pw_inner, long long pw_mid, float a, float b,    \
      long long n, int reduction, float divisor, float* __restrict__ out, float* __restrict__ partials,        \
      float* __restrict__ grad_in, long long* __restrict__ bad) {                                               \
    DS_SHARED(float, s_red, 64);                                                                                \
    ds_pw_fused<K>(x, t, w, w_inner, w_mid, pw, pw_inner, pw_mid, a, b, n, reduction, divisor, out, partials,  \
                   grad_in, bad, s_red);                                                                        \
  }                                                                                                             \
  DS_EXPORT_KERNEL(ds_loss_pw_fused_##kind##_f32)

DS_PW_KERNELS(bce, DsLossBce)
DS_PW_KERNELS(bce_logits, DsLossBceLogits)
DS_PW_KERNELS(focal, DsLossFocal)
DS_PW_KERNELS(balanced_bce, DsLossBalancedBce)
DS_PW_KERNELS(smooth_l1, DsLossSmoothL1)
DS_PW_KERNELS(l1, DsLossL1)
DS_PW_KERNELS(mse, DsLossMse)
