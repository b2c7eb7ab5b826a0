// Index math of the conv family shared by the CUDA kernels (kernels/conv*.cu) and the CPU backend
// (native/cpu/conv2d.cpp), so both decompose the data gradient into the same stride phases.
//
// The data gradient of a conv2d (and so the forward of conv_transpose2d) is a gather: input point
// iy receives dy[oy] * w[ky] for every tap with iy + pad - ky*dil = oy*stride. Splitting the input
// rows by phase r = iy mod stride, the taps that reach phase r are exactly those with
// ky*dil = r + pad (mod stride): an arithmetic progression ky0, ky0 + step, ... (step =
// stride / gcd(stride, dil)), each reading dy at the fixed offset (r + pad - ky*dil) / stride from
// t = (iy - r) / stride. So every phase is a stride-1 correlation over a regular sub-kernel.
#pragma once

#include "detseg/kernel_api.cuh"

// Full unrolling of the small fixed loops of the conv kernels: nvcc's pragma on the device, GCC's in
// the simulator build (which does not know `#pragma unroll`).
#if defined(__CUDACC__)
#define DS_CONV_UNROLL _Pragma("unroll")
#else
#define DS_CONV_UNROLL _Pragma("GCC unroll 16")
#endif

// A conv2d as the kernels see it: input [n, c_in, h, w], weight [c_out, c_in/groups, kh, kw], output
// [n, c_out, h_out, w_out]; ph / pw are the top / left paddings (bottom / right follow from h_out /
// w_out; negative for some ONNX transposed convs). Kernels take it as 16 long long arguments
// (DS_CONV_GEOM_PARAMS, in this order) and rebuild it with DS_CONV_GEOM_MAKE.
struct DsConvGeom {
  long long n, c_in, h, w, c_out, h_out, w_out, kh, kw, sh, sw, ph, pw, dh, dw, groups;
};
#define DS_CONV_GEOM_PARAMS                                                                                     \
  long long g_n, long long g_c_in, long long g_h, long long g_w, long long g_c_out, long long g_h_out,          \
      long long g_w_out, long long g_kh, long long g_kw, long long g_sh, long long g_sw, long long g_ph,        \
      long long g_pw, long long g_dh, long long g_dw, long long g_groups
#define DS_CONV_GEOM_MAKE                                                                                       \
  DsConvGeom { g_n, g_c_in, g_h, g_w, g_c_out, g_h_out, g_w_out, g_kh, g_kw, g_sh, g_sw, g_ph, g_pw, g_dh, g_dw, g_groups }

// Greatest common divisor of two positive ints.
DS_HD long long ds_conv_gcd(long long a, long long b) {
  while (b != 0) {
    const long long t = a % b;
    a = b;
    b = t;
  }
  return a;
}

// Taps of one dimension that reach phase r (0 <= r < stride): the first ky0, the step between them
// and how many (count 0 when none; ky0 and step are then meaningless).
struct DsConvPhaseTaps {
  long long ky0, step, count;
};

DS_HD DsConvPhaseTaps ds_conv_phase_taps(long long r, long long pad, long long k, long long stride, long long dil) {
  DsConvPhaseTaps t;
  t.step = stride / ds_conv_gcd(stride, dil);
  t.ky0 = 0;
  t.count = 0;
  for (long long ky = 0; ky < k && ky < t.step; ++ky) {
    long long v = (r + pad - ky * dil) % stride;
    if (v < 0) v += stride;
    if (v == 0) {
      t.ky0 = ky;
      t.count = (k - ky + t.step - 1) / t.step;
      break;
    }
  }
  return t;
}

// The dy offset tap ky reads for phase r: (r + pad - ky*dil) / stride, exact for a tap of the phase.
DS_HD long long ds_conv_phase_offset(long long r, long long pad, long long ky, long long stride, long long dil) {
  return (r + pad - ky * dil) / stride;
}

// Points of phase r along a dimension of size n: ceil((n - r) / stride), 0 when r >= n.
DS_HD long long ds_conv_phase_len(long long n, long long r, long long stride) {
  return r >= n ? 0 : (n - r + stride - 1) / stride;
}
