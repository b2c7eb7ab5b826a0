// Batch-norm kernels of the nn family, forward (training and inference) and backward. Contracts:
// docs/kernels/nn.md; formulas: kernels/include/detseg/nn_norm_math.cuh (shared with the CPU).
//
// Input [N, C, S] (S = product of the spatial sizes; a channel's elements are N runs of S). Per-channel
// reductions run in two fixed-order launches (block partials, then one warp per channel folding them
// in double), so results are reproducible and no float atomics are used.
#include "detseg/kernel_api.cuh"
#include "detseg/nn_norm_math.cuh"

// ---- file-local helpers (prefix ds_bn_) -------------------------------------------------------------

// Walks this thread's grid-stride share of channel c's M = N*S elements (blockIdx.x, gridDim.x split
// the channel), keeping (n, s) incrementally so there is one division per thread, not per element.
template <class F>
__device__ __forceinline__ void ds_bn_walk(long long N, int C, long long S, int c, F&& f) {
  const long long M = N * S;
  const long long start = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  const long long stride = (long long)gridDim.x * blockDim.x;
  const long long qn = stride / S, qs = stride - qn * S;
  long long n = start / S, s = start - n * S;
  for (long long e = start; e < M; e += stride) {
    f((n * C + c) * S + s);
    s += qs;
    n += qn;
    if (s >= S) {
      s -= S;
      ++n;
    }
  }
}

// Sums (a, b) over the block into thread 0 (warp shuffles, then warp 0 over 32 shared slots each).
__device__ __forceinline__ void ds_bn_block_sum2(float& a, float& b, float* s_a, float* s_b) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = (blockDim.x + 31) >> 5;
  for (int off = 16; off > 0; off >>= 1) {
    a += __shfl_down_sync(0xffffffffu, a, off);
    b += __shfl_down_sync(0xffffffffu, b, off);
  }
  if (lane == 0) {
    s_a[warp] = a;
    s_b[warp] = b;
  }
  __syncthreads();
  if (warp == 0) {
    a = lane < nwarps ? s_a[lane] : 0.0f;
    b = lane < nwarps ? s_b[lane] : 0.0f;
    for (int off = 16; off > 0; off >>= 1) {
      a += __shfl_down_sync(0xffffffffu, a, off);
      b += __shfl_down_sync(0xffffffffu, b, off);
    }
  }
  __syncthreads();  // s_a / s_b are reused by the next channel
}

// One warp folds partials[c][0..B)[2] in double, lanes strided, then shuffles (fixed order).
__device__ __forceinline__ void ds_bn_warp_fold(const float* __restrict__ partials, int B, int c, double& a,
                                                double& b) {
  const int lane = threadIdx.x & 31;
  a = 0.0;
  b = 0.0;
  for (int i = lane; i < B; i += 32) {
    a += (double)__ldg(partials + 2 * ((long long)c * B + i));
    b += (double)__ldg(partials + 2 * ((long long)c * B + i) + 1);
  }
  for (int off = 16; off > 0; off >>= 1) {
    a += __shfl_down_sync(0xffffffffu, a, off);
    b += __shfl_down_sync(0xffffffffu, b, off);
  }
}

// ---- forward ----------------------------------------------------------------------------------------

// Bound: memory (one read of x). Block 256; grid (B, min(C, 65535)): B blocks split each channel's
// N*S elements (chosen in Java so a thread takes ~8), channels grid-stride in y. Each block writes the
// float sums of (x - shift) and (x - shift)^2 for its share, shift = the channel's first element (so
// the one-pass variance does not cancel), to partials[c][blockIdx.x][0..1].
extern "C" __global__ void ds_nn_bn_stats_partial_f32(const float* __restrict__ x, long long N, int C, long long S,
                                                      float* __restrict__ partials) {
  DS_SHARED(float, s_a, 32);
  DS_SHARED(float, s_b, 32);
  for (int c = blockIdx.y; c < C; c += gridDim.y) {
    const float shift = __ldg(x + (long long)c * S);
    float a = 0.0f, b = 0.0f;
    ds_bn_walk(N, C, S, c, [&](long long i) {
      const float d = __ldg(x + i) - shift;
      a += d;
      b += d * d;
    });
    ds_bn_block_sum2(a, b, s_a, s_b);
    if (threadIdx.x == 0) {
      partials[2 * ((long long)c * gridDim.x + blockIdx.x)] = a;
      partials[2 * ((long long)c * gridDim.x + blockIdx.x) + 1] = b;
    }
  }
}
DS_EXPORT_KERNEL(ds_nn_bn_stats_partial_f32)

// Bound: latency (C warps, B partials each). One warp per channel (block 256 = 8 channels, grid
// ceil(C/8), grid-stride): folds the partials in double, writes save_mean, save_invstd, updates the
// running statistics when running_mean is not null (the variance unbiased, as PyTorch, unless unbiased ==
// 0, as ONNX's training mode), and writes coef[c] = (alpha, beta) for the apply
// kernel (weight/bias may be null: 1 and 0).
extern "C" __global__ void ds_nn_bn_stats_final_f32(const float* __restrict__ partials, int B, int C,
                                                    const float* __restrict__ x, long long S, long long M,
                                                    float momentum, float eps, int unbiased, float* __restrict__ running_mean,
                                                    float* __restrict__ running_var, const float* __restrict__ weight,
                                                    const float* __restrict__ bias, float* __restrict__ save_mean,
                                                    float* __restrict__ save_invstd, float* __restrict__ coef) {
  const int lane = threadIdx.x & 31;
  const int warps = gridDim.x * (blockDim.x >> 5);
  for (int c = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5); c < C; c += warps) {
    double a, b;
    ds_bn_warp_fold(partials, B, c, a, b);
    if (lane == 0) {
      const double shift = (double)__ldg(x + (long long)c * S);
      const ds_nn_bn_stats st = ds_nn_bn_finish(a, b, (double)M, shift, (double)eps);
      const float mean = (float)st.mean, invstd = (float)st.invstd;
      save_mean[c] = mean;
      save_invstd[c] = invstd;
      if (running_mean != nullptr) {
        running_mean[c] = ds_nn_bn_running(running_mean[c], st.mean, (double)momentum);
        running_var[c] = ds_nn_bn_running(running_var[c], unbiased ? st.unbiased_var : st.var, (double)momentum);
      }
      const float w = weight != nullptr ? __ldg(weight + c) : 1.0f;
      const float bb = bias != nullptr ? __ldg(bias + c) : 0.0f;
      const float alpha = invstd * w;
      coef[2 * c] = alpha;
      coef[2 * c + 1] = bb - mean * alpha;
    }
  }
}
DS_EXPORT_KERNEL(ds_nn_bn_stats_final_f32)

// Bound: latency (C threads). Inference statistics and coefficients: mean[c] = running_mean[c],
// invstd[c] = 1/sqrt(running_var[c] + eps) (float, as PyTorch), coef[c] = (alpha, beta); coef may be
// null (the backward only needs the statistics). Block 256, grid ceil(C/256).
extern "C" __global__ void ds_nn_bn_eval_coef_f32(const float* __restrict__ running_mean,
                                                  const float* __restrict__ running_var, const float* __restrict__ weight,
                                                  const float* __restrict__ bias, int C, float eps,
                                                  float* __restrict__ mean_out, float* __restrict__ invstd_out,
                                                  float* __restrict__ coef) {
  for (int c = blockIdx.x * blockDim.x + threadIdx.x; c < C; c += gridDim.x * blockDim.x) {
    const float mean = __ldg(running_mean + c);
    const float invstd = ds_nn_bn_eval_invstd(__ldg(running_var + c), eps);
    mean_out[c] = mean;
    invstd_out[c] = invstd;
    if (coef != nullptr) {
      const float w = weight != nullptr ? __ldg(weight + c) : 1.0f;
      const float bb = bias != nullptr ? __ldg(bias + c) : 0.0f;
      const float alpha = invstd * w;
      coef[2 * c] = alpha;
      coef[2 * c + 1] = bb - mean * alpha;
    }
  }
}
DS_EXPORT_KERNEL(ds_nn_bn_eval_coef_f32)

// Bound: memory (8 bytes per multiply-add). y = x * alpha[c] + beta[c]. Block 256 over a plane's S
// elements (coalesced), grid (min(ceil(S/256), 65535), min(N*C, 65535)), both grid-stride; the two
// coefficients are read once per plane per thread (broadcast).
extern "C" __global__ void ds_nn_bn_apply_f32(const float* __restrict__ x, float* __restrict__ y,
                                              const float* __restrict__ coef, long long planes, int C, long long S) {
  for (long long p = blockIdx.y; p < planes; p += gridDim.y) {
    const int c = (int)(p % C);
    const float alpha = __ldg(coef + 2 * c), beta = __ldg(coef + 2 * c + 1);
    for (long long s = (long long)blockIdx.x * blockDim.x + threadIdx.x; s < S; s += (long long)gridDim.x * blockDim.x) {
      y[p * S + s] = __ldg(x + p * S + s) * alpha + beta;
    }
  }
}
DS_EXPORT_KERNEL(ds_nn_bn_apply_f32)

// ---- backward ---------------------------------------------------------------------------------------

// Bound: memory (reads g and x once). Launch shape as ds_nn_bn_stats_partial_f32; partials[c][b] =
// (sum g, sum g * (x - mean[c])) with mean = save_mean or the running mean.
extern "C" __global__ void ds_nn_bn_bwd_partial_f32(const float* __restrict__ g, const float* __restrict__ x,
                                                    const float* __restrict__ mean, long long N, int C,
                                                    long long S, float* __restrict__ partials) {
  DS_SHARED(float, s_a, 32);
  DS_SHARED(float, s_b, 32);
  for (int c = blockIdx.y; c < C; c += gridDim.y) {
    const float m = __ldg(mean + c);
    float a = 0.0f, b = 0.0f;
    ds_bn_walk(N, C, S, c, [&](long long i) {
      const float gv = __ldg(g + i);
      a += gv;
      b += gv * (__ldg(x + i) - m);
    });
    ds_bn_block_sum2(a, b, s_a, s_b);
    if (threadIdx.x == 0) {
      partials[2 * ((long long)c * gridDim.x + blockIdx.x)] = a;
      partials[2 * ((long long)c * gridDim.x + blockIdx.x) + 1] = b;
    }
  }
}
DS_EXPORT_KERNEL(ds_nn_bn_bwd_partial_f32)

// Bound: latency (one warp per channel, as ds_nn_bn_stats_final_f32). Writes grad_weight, grad_bias
// and coef[c] = (mean_g, mean, k, invstd * weight) for ds_nn_bn_bwd_apply_f32 (k = 0, mean_g = 0 in
// inference). mean/invstd: save_mean/save_invstd, or the inference statistics of ds_nn_bn_eval_coef_f32.
extern "C" __global__ void ds_nn_bn_bwd_final_f32(const float* __restrict__ partials, int B, int C, long long M,
                                                  const float* __restrict__ mean, const float* __restrict__ invstd,
                                                  const float* __restrict__ weight, int training,
                                                  float* __restrict__ grad_weight, float* __restrict__ grad_bias,
                                                  float* __restrict__ coef) {
  const int lane = threadIdx.x & 31;
  const int warps = gridDim.x * (blockDim.x >> 5);
  for (int c = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5); c < C; c += warps) {
    double sum_g, dotp;
    ds_bn_warp_fold(partials, B, c, sum_g, dotp);
    if (lane == 0) {
      const float m = __ldg(mean + c);
      const float is = __ldg(invstd + c);
      const float w = weight != nullptr ? __ldg(weight + c) : 1.0f;
      grad_bias[c] = (float)sum_g;
      grad_weight[c] = (float)(dotp * (double)is);
      coef[4 * c] = training ? (float)(sum_g / (double)M) : 0.0f;
      coef[4 * c + 1] = m;
      coef[4 * c + 2] = training ? (float)(dotp * (double)is * (double)is / (double)M) : 0.0f;
      coef[4 * c + 3] = is * w;
    }
  }
}
DS_EXPORT_KERNEL(ds_nn_bn_bwd_final_f32)

// Bound: memory (12 bytes per element in training, 8 in inference). Launch shape as ds_nn_bn_apply_f32.
extern "C" __global__ void ds_nn_bn_bwd_apply_f32(const float* __restrict__ g, const float* __restrict__ x,
                                                  const float* __restrict__ coef, float* __restrict__ gi,
                                                  long long planes, int C, long long S, int training) {
  for (long long p = blockIdx.y; p < planes; p += gridDim.y) {
    const int c = (int)(p % C);
    const float mg = __ldg(coef + 4 * c), m = __ldg(coef + 4 * c + 1), k = __ldg(coef + 4 * c + 2),
                a = __ldg(coef + 4 * c + 3);
    for (long long s = (long long)blockIdx.x * blockDim.x + threadIdx.x; s < S; s += (long long)gridDim.x * blockDim.x) {
      const long long i = p * S + s;
      gi[i] = training ? ds_nn_bn_grad_input(__ldg(g + i), __ldg(x + i), mg, m, k, a) : __ldg(g + i) * a;
    }
  }
}
DS_EXPORT_KERNEL(ds_nn_bn_bwd_apply_f32)
