// Batch-norm formulas shared by the CPU backend (native/cpu/nn_norm.cpp) and the CUDA kernels
// (kernels/nn_norm.cu), PyTorch 1.13 semantics (aten/src/ATen/native/Normalization.cpp,
// cpu/batch_norm_kernel.cpp):
//   training:  mean and biased variance over (N, spatial) per channel; save_invstd = 1/sqrt(var + eps);
//              running_mean = (1 - momentum) * running_mean + momentum * mean,
//              running_var  = (1 - momentum) * running_var  + momentum * var * M / (M - 1) (unbiased; ONNX's
//              BatchNormalization uses the biased var here, an option of the op);
//   inference: mean = running_mean, invstd = 1/sqrt(running_var + eps) (float);
//   output     = x * alpha + beta with alpha = invstd * weight, beta = bias - mean * alpha;
//   backward:  grad_bias = sum(g), grad_weight = sum(g * (x - mean)) * invstd,
//              grad_input = (g - sum(g)/M - (x - mean) * k) * invstd * weight with
//              k = sum(g * (x - mean)) * invstd^2 / M in training, grad_input = g * invstd * weight in
//              inference.
// Statistics are finished in double from sums of (x - shift) and (x - shift)^2 (shift 0 on the CPU,
// which sums in double; the channel's first element on CUDA, which sums in float per block).
#pragma once

#include <math.h>

#include "detseg/kernel_api.cuh"

struct ds_nn_bn_stats {
  double mean, var, invstd, unbiased_var;
};

DS_HD ds_nn_bn_stats ds_nn_bn_finish(double s1, double s2, double count, double shift, double eps) {
  ds_nn_bn_stats r;
  const double d = s1 / count;
  double var = s2 / count - d * d;
  var = var < 0.0 ? 0.0 : var;
  r.mean = shift + d;
  r.var = var;
  r.invstd = 1.0 / sqrt(var + eps);
  r.unbiased_var = count > 1.0 ? var * count / (count - 1.0) : INFINITY;
  return r;
}

DS_HD float ds_nn_bn_running(float running, double stat, double momentum) {
  return (float)(momentum * stat + (1.0 - momentum) * (double)running);
}

DS_HD float ds_nn_bn_eval_invstd(float running_var, float eps) { return 1.0f / sqrtf(running_var + eps); }

// grad_input = ((g - mean_g) - (x - mean) * k) * a, as PyTorch's CPU backward orders it.
DS_HD float ds_nn_bn_grad_input(float g, float x, float mean_g, float mean, float k, float a) {
  return ((g - mean_g) - (x - mean) * k) * a;
}
