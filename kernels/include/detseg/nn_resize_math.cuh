// Interpolation taps shared by the CPU backend (native/cpu/nn_resize.cpp) and the CUDA kernels
// (kernels/nn_resize.cu). A 2-D resize is separable: along each axis, output index o reads at most
// four input indices idx[k] with weights w[k], and out[y][x] = sum_ky wy[ky] * sum_kx wx[kx] *
// in[idy[ky]][idx[kx]]. This header computes one axis's taps; both backends call it, so forward and
// backward, CPU and CUDA use the same indices and weights.
//
// Semantics:
//   * PyTorch 1.13 F.interpolate (aten/src/ATen/native/UpSample.h): 'nearest' (floor(o * scale) with
//     the same-size and exact-2x shortcuts), 'nearest-exact', 'bilinear' and 'bicubic' (A = -0.75,
//     indices clamped to the border) with align_corners true/false. `scale` is what PyTorch's
//     area_pixel_compute_scale returns: (in-1)/(out-1) (0 when out == 1) for align_corners, else
//     1/scale_factor when a scale factor is given, else in/out.
//   * ONNX Resize (opset 11-13) coordinate_transformation_mode half_pixel, pytorch_half_pixel,
//     align_corners, asymmetric; nearest_mode round_prefer_floor, round_prefer_ceil, floor, ceil;
//     cubic_coeff_a and exclude_outside. PyTorch's align_corners=False is ONNX's half_pixel (for
//     linear, PyTorch clamps a negative source coordinate to 0, which gives ONNX's edge-padded result).
//     ONNX's own cases use the DS_NN_RS_ONNX_* coordinate codes, which follow its reference arithmetic.
#pragma once

#include <math.h>

#include "detseg/kernel_api.cuh"

// `#pragma unroll` for nvcc; nothing for the host compilers (which would warn about it).
#ifndef DS_NN_UNROLL
#if defined(__CUDACC__)
#define DS_NN_UNROLL _Pragma("unroll")
#else
#define DS_NN_UNROLL
#endif
#endif

// Interpolation mode.
#define DS_NN_RS_NEAREST 0
#define DS_NN_RS_LINEAR 1
#define DS_NN_RS_CUBIC 2
// Coordinate transformation (ONNX's names).
#define DS_NN_RS_HALF_PIXEL 0
#define DS_NN_RS_PYTORCH_HALF_PIXEL 1
#define DS_NN_RS_ALIGN_CORNERS 2
#define DS_NN_RS_ASYMMETRIC 3
// The same four as ONNX's reference computes them: `scale` is ONNX's forward scale (the scales input, or
// sizes / input size) and the coordinate is evaluated in double by division, so ties in nearest
// rounding fall where ONNX's fall; align_corners uses the unfloored resized length in * scale.
#define DS_NN_RS_ONNX_HALF_PIXEL 4
#define DS_NN_RS_ONNX_PYTORCH_HALF_PIXEL 5
#define DS_NN_RS_ONNX_ALIGN_CORNERS 6
#define DS_NN_RS_ONNX_ASYMMETRIC 7
// Nearest rounding. TORCH and TORCH_EXACT are PyTorch's 'nearest' and 'nearest-exact' (they ignore
// the coordinate transformation); the others are ONNX's nearest_mode applied to the transformed
// coordinate.
#define DS_NN_RS_NEAREST_TORCH 0
#define DS_NN_RS_NEAREST_TORCH_EXACT 1
#define DS_NN_RS_ROUND_PREFER_FLOOR 2
#define DS_NN_RS_ROUND_PREFER_CEIL 3
#define DS_NN_RS_FLOOR 4
#define DS_NN_RS_CEIL 5

#define DS_NN_RS_MAX_TAPS 4

// One axis of a resize.
struct ds_nn_rs_axis {
  int in, out;
  float scale;   // see above
  int mode, coord, nearest;
  float cubic_a;  // PyTorch: -0.75; ONNX default: -0.75
  int exclude_outside;
};

DS_HD int ds_nn_rs_clampi(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

// Source coordinate of output o. Half-pixel is computed in double and rounded once to float, as
// PyTorch's CPU code does (`scale * (dst_index + 0.5) - 0.5` promotes to double).
DS_HD float ds_nn_rs_source(const ds_nn_rs_axis& a, int o) {
  switch (a.coord) {
    case DS_NN_RS_ALIGN_CORNERS:
    case DS_NN_RS_ASYMMETRIC:
      return a.scale * (float)o;
    case DS_NN_RS_PYTORCH_HALF_PIXEL:
      if (a.out <= 1) return 0.0f;
      return (float)((double)a.scale * ((double)o + 0.5) - 0.5);
    case DS_NN_RS_ONNX_PYTORCH_HALF_PIXEL:
      if (a.out <= 1) return 0.0f;
      return (float)(((double)o + 0.5) / (double)a.scale - 0.5);
    case DS_NN_RS_ONNX_HALF_PIXEL:
      return (float)(((double)o + 0.5) / (double)a.scale - 0.5);
    case DS_NN_RS_ONNX_ASYMMETRIC:
      return (float)((double)o / (double)a.scale);
    case DS_NN_RS_ONNX_ALIGN_CORNERS: {
      const double len = (double)a.in * (double)a.scale;
      return len > 1.0 ? (float)((double)o * (double)(a.in - 1) / (len - 1.0)) : 0.0f;
    }
    default:  // half_pixel
      return (float)((double)a.scale * ((double)o + 0.5) - 0.5);
  }
}

// Cubic convolution kernel pieces (Keys), as PyTorch writes them: |x| <= 1 and 1 < |x| < 2.
DS_HD float ds_nn_cubic1(float x, float A) { return ((A + 2.0f) * x - (A + 3.0f)) * x * x + 1.0f; }
DS_HD float ds_nn_cubic2(float x, float A) { return ((A * x - 5.0f * A) * x + 8.0f * A) * x - 4.0f * A; }

// Input index of a nearest-neighbour output.
DS_HD int ds_nn_rs_nearest_index(const ds_nn_rs_axis& a, int o) {
  const int last = a.in - 1;
  if (a.nearest == DS_NN_RS_NEAREST_TORCH || a.nearest == DS_NN_RS_NEAREST_TORCH_EXACT) {
    if (a.out == a.in) return o;
    if (a.nearest == DS_NN_RS_NEAREST_TORCH) {
      if (a.out == 2 * a.in) return o >> 1;
      const int i = (int)floorf((float)o * a.scale);
      return i < last ? i : last;
    }
    const int i = (int)floorf((float)(((double)o + 0.5) * (double)a.scale));
    return i < last ? i : last;
  }
  const float x = ds_nn_rs_source(a, o);
  const float f = floorf(x);
  const float d = x - f;
  float r;
  switch (a.nearest) {
    case DS_NN_RS_ROUND_PREFER_CEIL: r = d >= 0.5f ? f + 1.0f : f; break;
    case DS_NN_RS_FLOOR: r = f; break;
    case DS_NN_RS_CEIL: r = ceilf(x); break;
    default: r = d > 0.5f ? f + 1.0f : f; break;  // round_prefer_floor
  }
  // Clamp in float first: a coordinate far outside the input must not overflow the int conversion.
  if (r < 0.0f) r = 0.0f;
  if (r > (float)last) r = (float)last;
  return (int)r;
}

// Taps of output o: writes idx[0..n) and w[0..n), returns n (1 nearest, 2 linear, 4 cubic). Indices
// are clamped into [0, in); taps are in increasing index order, so the smallest index is idx[0] and
// the largest idx[n-1], and both are non-decreasing in o (the backward's gather relies on that).
DS_HD int ds_nn_rs_taps(const ds_nn_rs_axis& a, int o, int* idx, float* w) {
  const int last = a.in - 1;
  if (a.mode == DS_NN_RS_NEAREST) {
    idx[0] = ds_nn_rs_nearest_index(a, o);
    w[0] = 1.0f;
    return 1;
  }
  float x = ds_nn_rs_source(a, o);
  if (a.mode == DS_NN_RS_LINEAR) {
    if (x < 0.0f) x = 0.0f;  // PyTorch (non-cubic); equals ONNX's edge padding
    int i0 = (int)floorf(x);
    if (i0 > last) i0 = last;
    float l = x - (float)i0;
    l = l < 0.0f ? 0.0f : (l > 1.0f ? 1.0f : l);
    idx[0] = i0;
    idx[1] = i0 + (i0 < last ? 1 : 0);
    w[0] = 1.0f - l;
    w[1] = l;
    return 2;
  }
  // Cubic: PyTorch's guard_index_and_lambda, then the four taps around floor(x).
  const float fx = floorf(x);
  int i0 = fx < (float)last ? (int)fx : last;
  float t = x - (float)i0;
  t = t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
  const float A = a.cubic_a;
  w[0] = ds_nn_cubic2(t + 1.0f, A);
  w[1] = ds_nn_cubic1(t, A);
  w[2] = ds_nn_cubic1(1.0f - t, A);
  w[3] = ds_nn_cubic2(2.0f - t, A);
  if (a.exclude_outside) {
    float sum = 0.0f;
    for (int k = 0; k < 4; ++k) {
      const int j = i0 - 1 + k;
      if (j < 0 || j > last) w[k] = 0.0f;
      sum += w[k];
    }
    for (int k = 0; k < 4; ++k) w[k] = w[k] / sum;
  }
  for (int k = 0; k < 4; ++k) idx[k] = ds_nn_rs_clampi(i0 - 1 + k, 0, last);
  return 4;
}

// Outputs [lo, hi] (inclusive, lo > hi when none) whose taps include input i: the first o whose
// largest tap is >= i and the last o whose smallest tap is <= i, by binary search over the monotone
// taps. The gather-form backward sums, for each input, over exactly these outputs.
DS_HD void ds_nn_rs_covering(const ds_nn_rs_axis& a, int i, int* lo_out, int* hi_out) {
  int idx[DS_NN_RS_MAX_TAPS];
  float w[DS_NN_RS_MAX_TAPS];
  int lo = 0, hi = a.out;  // first o in [0, out) with max tap >= i (out if none)
  while (lo < hi) {
    const int mid = lo + ((hi - lo) >> 1);
    const int n = ds_nn_rs_taps(a, mid, idx, w);
    if (idx[n - 1] >= i) hi = mid; else lo = mid + 1;
  }
  int lo2 = lo, hi2 = a.out;  // first o with min tap > i
  while (lo2 < hi2) {
    const int mid = lo2 + ((hi2 - lo2) >> 1);
    ds_nn_rs_taps(a, mid, idx, w);
    if (idx[0] > i) hi2 = mid; else lo2 = mid + 1;
  }
  *lo_out = lo;
  *hi_out = lo2 - 1;
}
