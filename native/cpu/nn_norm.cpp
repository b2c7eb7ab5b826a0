// CPU batch norm over x [N, C, S], forward (training with batch statistics and running-stat update,
// inference with running statistics) and backward. Formulas: kernels/include/detseg/nn_norm_math.cuh
// (shared with the CUDA kernels), PyTorch 1.13 semantics.
//
// Memory traffic is the cost (a channel is N runs of S floats): training reads x twice (one pass for
// both sums, one to normalize) and writes y once, where PyTorch reads it three times (mean, then
// variance, then normalize). The one-pass variance does not cancel: per plane, (x - shift) and its
// square (shift = the channel's first element) are summed in float lanes over chunks of 1024
// elements and the chunks in double. Planes are the parallel unit; per-channel results fold plane
// sums in n order, so nothing depends on the thread count.
// No FMA contraction: the AVX2/AVX-512 variants must give the scalar variant's bits (cpu_simd.h), and
// the simulator's host build of the kernels rounds every operation too. Before every include, so inline
// functions of the shared headers get the same options.
#pragma GCC optimize("fp-contract=off")

#include <cmath>
#include <vector>

#include "cpu_simd.h"
#include "detseg/nn_norm_math.cuh"
#include "nn_ops.h"

namespace detseg {
namespace cpu {
namespace nn {
namespace {

constexpr int kLanes = 32;
constexpr int64_t kChunk = 1024;
constexpr int64_t kMinElementsPerThread = 1 << 15;

struct Sums {
  double a, b;
};

DS_CPU_INLINE double fold(const float* lane) {
  double d = 0.0;
  for (int j = 0; j < kLanes; ++j) d += (double)lane[j];
  return d;
}

// (sum (x - shift), sum (x - shift)^2) over n elements.
DS_CPU_INLINE Sums moments_body(const float* x, int64_t n, float shift) {
  Sums s = {0.0, 0.0};
  for (int64_t c0 = 0; c0 < n; c0 += kChunk) {
    const float* p = x + c0;
    const int64_t cl = std::min(kChunk, n - c0);
    float la[kLanes], lb[kLanes];
    for (int j = 0; j < kLanes; ++j) la[j] = lb[j] = 0.0f;
    int64_t i = 0;
    for (; i + kLanes <= cl; i += kLanes) {
      for (int j = 0; j < kLanes; ++j) {
        const float d = p[i + j] - shift;
        la[j] += d;
        lb[j] += d * d;
      }
    }
    for (int j = 0; i + j < cl; ++j) {
      const float d = p[i + j] - shift;
      la[j] += d;
      lb[j] += d * d;
    }
    s.a += fold(la);
    s.b += fold(lb);
  }
  return s;
}
DS_CPU_VARIANTS(Sums, moments, (const float* x, int64_t n, float shift), (x, n, shift))

// (sum g, sum g * (x - mean)) over n elements.
DS_CPU_INLINE Sums grad_sums_body(const float* g, const float* x, int64_t n, float mean) {
  Sums s = {0.0, 0.0};
  for (int64_t c0 = 0; c0 < n; c0 += kChunk) {
    const int64_t cl = std::min(kChunk, n - c0);
    const float* gp = g + c0;
    const float* xp = x + c0;
    float la[kLanes], lb[kLanes];
    for (int j = 0; j < kLanes; ++j) la[j] = lb[j] = 0.0f;
    int64_t i = 0;
    for (; i + kLanes <= cl; i += kLanes) {
      for (int j = 0; j < kLanes; ++j) {
        la[j] += gp[i + j];
        lb[j] += gp[i + j] * (xp[i + j] - mean);
      }
    }
    for (int j = 0; i + j < cl; ++j) {
      la[j] += gp[i + j];
      lb[j] += gp[i + j] * (xp[i + j] - mean);
    }
    s.a += fold(la);
    s.b += fold(lb);
  }
  return s;
}
DS_CPU_VARIANTS(Sums, grad_sums, (const float* g, const float* x, int64_t n, float mean), (g, x, n, mean))

DS_CPU_INLINE void affine_body(const float* x, float* y, int64_t n, float a, float b) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * a + b;
}
DS_CPU_VARIANTS(void, affine, (const float* x, float* y, int64_t n, float a, float b), (x, y, n, a, b))

DS_CPU_INLINE void grad_input_body(const float* g, const float* x, float* gi, int64_t n, float mg, float m, float k,
                                   float a) {
  for (int64_t i = 0; i < n; ++i) gi[i] = ds_nn_bn_grad_input(g[i], x[i], mg, m, k, a);
}
DS_CPU_VARIANTS(void, grad_input, (const float* g, const float* x, float* gi, int64_t n, float mg, float m, float k, float a),
                (g, x, gi, n, mg, m, k, a))

DS_CPU_INLINE void scale_body(const float* g, float* gi, int64_t n, float a) {
  for (int64_t i = 0; i < n; ++i) gi[i] = g[i] * a;
}
DS_CPU_VARIANTS(void, scale, (const float* g, float* gi, int64_t n, float a), (g, gi, n, a))

int64_t planes_per_thread(int64_t S) { return std::max<int64_t>(1, kMinElementsPerThread / std::max<int64_t>(1, S)); }

}  // namespace

void batch_norm_f32(const float* x, float* y, int64_t N, int C, int64_t S, const float* weight, const float* bias,
                    float* running_mean, float* running_var, int training, float momentum, float eps, int unbiased,
                    float* save_mean, float* save_invstd) {
  static const auto moments = DS_CPU_PICK(moments);
  static const auto affine = DS_CPU_PICK(affine);
  const int64_t planes = N * C;
  std::vector<float> alpha(C), beta(C);
  if (training) {
    std::vector<Sums> ps(planes);
    detail::parallel_ranges(planes, planes_per_thread(S), 1, [&](int64_t lo, int64_t hi) {
      for (int64_t p = lo; p < hi; ++p) ps[p] = moments(x + p * S, S, x[(p % C) * S]);
    });
    const double M = (double)N * (double)S;
    for (int c = 0; c < C; ++c) {
      double a = 0.0, b = 0.0;
      for (int64_t n = 0; n < N; ++n) {
        a += ps[n * C + c].a;
        b += ps[n * C + c].b;
      }
      const ds_nn_bn_stats st = ds_nn_bn_finish(a, b, M, (double)x[(int64_t)c * S], (double)eps);
      save_mean[c] = (float)st.mean;
      save_invstd[c] = (float)st.invstd;
      if (running_mean != nullptr) {
        running_mean[c] = ds_nn_bn_running(running_mean[c], st.mean, (double)momentum);
        running_var[c] = ds_nn_bn_running(running_var[c], unbiased ? st.unbiased_var : st.var, (double)momentum);
      }
    }
  } else {
    for (int c = 0; c < C; ++c) {
      save_mean[c] = running_mean[c];
      save_invstd[c] = ds_nn_bn_eval_invstd(running_var[c], eps);
    }
  }
  for (int c = 0; c < C; ++c) {
    const float w = weight != nullptr ? weight[c] : 1.0f;
    const float b = bias != nullptr ? bias[c] : 0.0f;
    alpha[c] = save_invstd[c] * w;
    beta[c] = b - save_mean[c] * alpha[c];
  }
  detail::parallel_ranges(planes, planes_per_thread(S), 1, [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; ++p) {
      const int c = (int)(p % C);
      affine(x + p * S, y + p * S, S, alpha[c], beta[c]);
    }
  });
}

void batch_norm_backward_f32(const float* grad, const float* x, int64_t N, int C, int64_t S, const float* weight,
                             const float* running_mean, const float* running_var, const float* save_mean,
                             const float* save_invstd, int training, float eps, float* gi, float* grad_weight,
                             float* grad_bias) {
  static const auto grad_sums = DS_CPU_PICK(grad_sums);
  static const auto grad_input = DS_CPU_PICK(grad_input);
  static const auto scale = DS_CPU_PICK(scale);
  const int64_t planes = N * C;
  std::vector<float> mean(C), invstd(C), mg(C), k(C), a(C);
  for (int c = 0; c < C; ++c) {
    mean[c] = training ? save_mean[c] : running_mean[c];
    invstd[c] = training ? save_invstd[c] : ds_nn_bn_eval_invstd(running_var[c], eps);
  }
  std::vector<Sums> ps(planes);
  detail::parallel_ranges(planes, planes_per_thread(S), 1, [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; ++p) ps[p] = grad_sums(grad + p * S, x + p * S, S, mean[p % C]);
  });
  const double M = (double)N * (double)S;
  for (int c = 0; c < C; ++c) {
    double sum_g = 0.0, dotp = 0.0;
    for (int64_t n = 0; n < N; ++n) {
      sum_g += ps[n * C + c].a;
      dotp += ps[n * C + c].b;
    }
    const double is = (double)invstd[c];
    grad_bias[c] = (float)sum_g;
    grad_weight[c] = (float)(dotp * is);
    mg[c] = training ? (float)(sum_g / M) : 0.0f;
    k[c] = training ? (float)(dotp * is * is / M) : 0.0f;
    a[c] = invstd[c] * (weight != nullptr ? weight[c] : 1.0f);
  }
  detail::parallel_ranges(planes, planes_per_thread(S), 1, [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; ++p) {
      const int c = (int)(p % C);
      if (training) {
        grad_input(grad + p * S, x + p * S, gi + p * S, S, mg[c], mean[c], k[c], a[c]);
      } else {
        scale(grad + p * S, gi + p * S, S, a[c]);
      }
    }
  });
}

}  // namespace nn
}  // namespace cpu
}  // namespace detseg
