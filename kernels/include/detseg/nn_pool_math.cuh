// Pooling rules shared by the CPU backend (native/cpu/nn_pool.cpp) and the CUDA kernels
// (kernels/nn_pool.cu): window bounds, the max-pooling "better" test, average-pooling divisors, and
// the ranges of outputs whose window covers one input element (the gather form of each backward).
//
// Geometry follows PyTorch 1.13 (aten/src/ATen/native/Pool.h, cpu/MaxPoolKernel.cpp,
// cpu/AvgPoolKernel.cpp, AdaptivePooling.h) with two generalisations needed by ONNX: the padding may
// differ at the two ends of an axis (pad_begin for the window starts, lim = in + pad_end for the
// count_include_pad divisor), and the output size is an explicit argument (the caller computes it,
// with or without ceil_mode). Per-plane indices are int (a plane has < 2^31 elements, checked in Java).
#pragma once

#include "detseg/kernel_api.cuh"

// floor(a / b) and ceil(a / b) for b > 0 and any sign of a (C++ division truncates toward zero).
DS_HD int ds_nn_floordiv(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
DS_HD int ds_nn_ceildiv(int a, int b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

DS_HD int ds_nn_imin(int a, int b) { return a < b ? a : b; }
DS_HD int ds_nn_imax(int a, int b) { return a > b ? a : b; }

// Max pooling replaces the running maximum when the candidate is larger or NaN (PyTorch's
// `(val > maxval) || std::isnan(val)`): ties keep the first element in scan order (rows, then
// columns), a NaN wins and the last NaN of a window is the one reported.
DS_HD bool ds_nn_max_better(float v, float m) { return v > m || v != v; }

// The first in-bounds tap of a max-pooling window along one axis: start + j * dilation for the
// smallest j >= 0 with start + j * dilation >= 0 (PyTorch's `while (ih0 < 0) ih0 += dilation`).
DS_HD int ds_nn_first_valid_tap(int start, int dilation) {
  return start >= 0 ? start : start + ds_nn_ceildiv(-start, dilation) * dilation;
}

// Average pooling (PyTorch's avg_pool2d): the window of output o along one axis is
// [start, start + k) with start = o * stride - pad_begin; the count_include_pad divisor counts it up to
// lim = in + pad_end; the summed elements are the window clipped to [0, in).
struct ds_nn_avg_axis {
  int lo, hi;     // clipped window [lo, hi)
  int span;       // min(start + k, lim) - start: the window inside the padded input
};

DS_HD ds_nn_avg_axis ds_nn_avg_window(int o, int k, int stride, int pad_begin, int in, int lim) {
  ds_nn_avg_axis a;
  const int start = o * stride - pad_begin;
  const int end = ds_nn_imin(start + k, lim);
  a.span = end - start;
  a.lo = ds_nn_imax(start, 0);
  a.hi = ds_nn_imin(end, in);
  return a;
}

// The divisor of one average-pooling output (PyTorch: divisor_override if non-zero, else the padded
// window area with count_include_pad, else the number of summed elements).
DS_HD int ds_nn_avg_divisor(const ds_nn_avg_axis& h, const ds_nn_avg_axis& w, int count_include_pad,
                            int divisor_override) {
  if (divisor_override != 0) return divisor_override;
  return count_include_pad ? h.span * w.span : (h.hi - h.lo) * (w.hi - w.lo);
}

// Adaptive pooling window of output o: [floor(o * in / out), ceil((o + 1) * in / out)), in 64-bit
// because o * in can pass 2^31 (PyTorch's start_index / end_index).
DS_HD int ds_nn_adaptive_start(int o, int in, int out) { return (int)(((long long)o * in) / out); }
DS_HD int ds_nn_adaptive_end(int o, int in, int out) {
  return (int)((((long long)o + 1) * in + out - 1) / out);
}

// Outputs [lo, hi] (inclusive; empty when lo > hi) whose window taps input i along one axis, for a
// window starting at o * stride - pad_begin with taps every `dilation` over `extent` =
// (k - 1) * dilation + 1 elements. For max pooling the caller still compares the recorded index, so a
// range that over-covers dilated gaps is harmless; for average pooling (dilation 1) it is exact.
struct ds_nn_range {
  int lo, hi;
};

DS_HD ds_nn_range ds_nn_pool_outputs_covering(int i, int extent, int stride, int pad_begin, int out) {
  ds_nn_range r;
  r.lo = ds_nn_imax(ds_nn_ceildiv(i + pad_begin - extent + 1, stride), 0);
  r.hi = ds_nn_imin(ds_nn_floordiv(i + pad_begin, stride), out - 1);
  return r;
}

// Adaptive pooling: outputs whose window [start(o), end(o)) contains input i. start(o) <= i iff
// o <= ceil((i + 1) * out / in) - 1 and end(o) > i iff o >= floor(i * out / in).
DS_HD ds_nn_range ds_nn_adaptive_outputs_covering(int i, int in, int out) {
  ds_nn_range r;
  r.lo = (int)(((long long)i * out) / in);
  r.hi = ds_nn_imin((int)((((long long)i + 1) * out + in - 1) / in) - 1, out - 1);
  return r;
}
