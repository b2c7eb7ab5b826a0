// Scalar float rules shared by the CPU backend (native/cpu) and the CUDA kernels (kernels/*.cu):
// one definition of "max with NaN", "equal or both NaN", relu and friends, so both backends give the
// same answer for the same inputs. Everything here is branch-free enough for GCC to if-convert and
// vectorize when it is inlined into a SIMD loop.
#pragma once

#include <math.h>

#include "detseg/kernel_api.cuh"

// ---- exactly rounded arithmetic -------------------------------------------------------------------
// nvcc (and GCC when FMA is enabled) may contract a*b + c into one fused multiply-add, which rounds
// once instead of twice. PyTorch evaluates each tensor op separately, so formulas that must match it
// bit for bit (box areas, unions, ...) use these: on the device they are the never-contracted _rn
// intrinsics; on the host the CPU backend compiles those formulas with fp-contract off.
DS_HD float ds_add_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}

DS_HD float ds_sub_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fsub_rn(a, b);
#else
  return a - b;
#endif
}

DS_HD float ds_mul_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}

DS_HD float ds_div_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fdiv_rn(a, b);
#else
  return a / b;
#endif
}

// ---- NaN-aware comparisons --------------------------------------------------------------------------
DS_HD bool ds_isnan(float x) { return x != x; }

// Identity of the max reduction.
DS_HD float ds_neg_inf() { return -INFINITY; }

// max(a, b) where a NaN in either argument gives NaN (torch.maximum, torch.max reduction); otherwise
// std::max's choice (a unless b > a). Note fmaxf would drop the NaN.
DS_HD float ds_max_nan(float a, float b) { return (b > a || b != b) ? b : a; }

// min(a, b) where a NaN in either argument gives NaN (torch.minimum).
DS_HD float ds_min_nan(float a, float b) { return (b < a || b != b) ? b : a; }

// x clamped from below, NaN kept (torch.clamp(min=lo) / std::max(x, lo)).
DS_HD float ds_clamp_min_nan(float x, float lo) { return x < lo ? lo : x; }

// a == b, or both are NaN: the mask of "this element is the max" in max's backward, and count_equal.
DS_HD bool ds_equal_or_both_nan(float a, float b) { return a == b || (a != a && b != b); }

// ---- pointwise activations -------------------------------------------------------------------------
// relu = torch.clamp_min(x, 0): NaN stays NaN, -0.0 stays -0.0.
DS_HD float ds_relu(float x) { return ds_clamp_min_nan(x, 0.0f); }

// relu's backward exactly as PyTorch's threshold_backward: 0 where x <= 0, else grad, so a NaN x
// passes the gradient through (NaN <= 0 is false).
DS_HD float ds_relu_backward(float grad, float x) { return x <= 0.0f ? 0.0f : grad; }
