// Pointwise activations of the nn family and their backwards, shared by the CPU backend
// (native/cpu/nn_act.cpp, inlined into its AVX-512/AVX2/scalar loops) and the CUDA kernels
// (kernels/nn_act.cu). Branch-free enough for GCC to if-convert and vectorize.
//
// Semantics follow PyTorch 1.13: relu6 = hardtanh(x, 0, 6) (NaN stays NaN; the backward passes the
// gradient where !(x <= 0 || x >= 6), so also for NaN), leaky_relu (x > 0 ? x : x * slope), sigmoid,
// tanh; sigmoid's and tanh's backwards take the forward's output, as PyTorch's sigmoid_backward /
// tanh_backward do.
#pragma once

#include <math.h>

#include "detseg/kernel_api.cuh"

DS_HD float ds_nn_bits_to_float(int b) {
#if defined(__CUDA_ARCH__)
  return __int_as_float(b);
#else
  return __builtin_bit_cast(float, b);  // a value cast (a union would keep GCC from vectorizing)
#endif
}

// 2^n for an integer n in [-126, 127] (exponent bits).
DS_HD float ds_nn_pow2i(int n) { return ds_nn_bits_to_float((n + 127) << 23); }

// exp(x) in float, within 2 ulp over the whole range, written so GCC vectorizes it (the libm call
// would stay scalar, and so would floorf in a baseline-ISA translation unit): n = round(x / ln 2) by
// the 1.5 * 2^23 shifter, r = x - n ln 2 in two parts (Cody-Waite), exp(r) by a degree-7 Taylor
// polynomial (|r| <= 0.35, truncation < 1e-8 relative), then times 2^n as two powers of two so that
// overflow (x > 88.72 -> inf) and gradual underflow (subnormal results, 0 below -103.97) come out
// right. NaN -> NaN.
DS_HD float ds_nn_expf(float x) {
  float xc = x < -104.0f ? -104.0f : x;
  xc = xc > 89.0f ? 89.0f : xc;
  const bool nan = x != x;
  xc = nan ? 0.0f : xc;
  const float shifter = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const float n = (xc * 1.44269504088896341f + shifter) - shifter;
  float r = xc - n * 0.693359375f;        // ln 2, high part (exact product for |n| <= 150)
  r = r - n * -2.12194440054690583e-4f;   // ln 2 - 0.693359375
  float p = 1.98412698e-4f;               // 1/5040
  p = p * r + 1.38888889e-3f;             // 1/720
  p = p * r + 8.33333333e-3f;             // 1/120
  p = p * r + 4.16666667e-2f;             // 1/24
  p = p * r + 1.66666667e-1f;             // 1/6
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int ni = (int)n;
  const int n1 = ni >> 1;  // floor(n / 2)
  const float v = p * ds_nn_pow2i(n1) * ds_nn_pow2i(ni - n1);
  return nan ? x : v;
}

// ---- forward ---------------------------------------------------------------------------------------
DS_HD float ds_nn_relu6(float x) { return x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x); }

DS_HD float ds_nn_leaky_relu(float x, float slope) { return x > 0.0f ? x : x * slope; }

// sigmoid(NaN) is that NaN, returned as it came: through the negation, exp and the division its sign
// depended on the code path (GCC's vector lanes gave -NaN where its scalar remainder gave NaN).
DS_HD float ds_nn_sigmoid(float x) {
  const float s = 1.0f / (1.0f + ds_nn_expf(-x));
  return x != x ? x : s;
}

// tanh: an odd Taylor polynomial to x^15 for |x| < 0.55 (truncation < 5e-8 relative there), else
// sign(x) * (1 - 2 / (exp(2|x|) + 1)), which saturates to +-1 once exp overflows.
DS_HD float ds_nn_tanh(float x) {
  const float ax = x < 0.0f ? -x : x;
  const float z = x * x;
  float p = -1.45583438e-3f;      // -929569/638512875
  p = p * z + 3.59212803e-3f;     // 21844/6081075
  p = p * z - 8.86323552e-3f;     // -1382/155925
  p = p * z + 2.18694885e-2f;     // 62/2835
  p = p * z - 5.39682540e-2f;     // -17/315
  p = p * z + 1.33333333e-1f;     // 2/15
  p = p * z - 3.33333333e-1f;     // -1/3
  const float small = x + x * z * p;
  const float big = 1.0f - 2.0f / (ds_nn_expf(2.0f * ax) + 1.0f);
  const float sbig = x < 0.0f ? -big : big;
  return ax < 0.55f ? small : sbig;  // NaN: ax < 0.55 is false and big is NaN
}

// ---- backward --------------------------------------------------------------------------------------
// hardtanh_backward(grad, x, 0, 6).
DS_HD float ds_nn_relu6_backward(float g, float x) { return (x <= 0.0f || x >= 6.0f) ? 0.0f : g; }

DS_HD float ds_nn_leaky_relu_backward(float g, float x, float slope) { return x > 0.0f ? g : g * slope; }

// sigmoid_backward(grad, y) = grad * (1 - y) * y.
DS_HD float ds_nn_sigmoid_backward(float g, float y) { return g * (1.0f - y) * y; }

// tanh_backward(grad, y) = grad * (1 - y * y).
DS_HD float ds_nn_tanh_backward(float g, float y) { return g * (1.0f - y * y); }
