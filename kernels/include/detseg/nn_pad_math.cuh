// Padding index maps shared by the CPU backend (native/cpu/nn_pad.cpp) and the CUDA kernels
// (kernels/nn_pad.cu), PyTorch 1.13 F.pad semantics along one axis of `in` elements padded by
// `before` (and some amount after) to `out` elements:
//   constant:  out[o] = in[o - before] when in range, else the fill value (before may be negative:
//              a crop)
//   reflect:   mirrored without repeating the edge (before, after < in):  ... 2 1 | 0 1 2 ... n-1 | n-2 ...
//   replicate: the edge element repeated (ONNX 'edge')
// The backward is a gather: input i receives the gradient of every output that reads it, which is at
// most three ranges of outputs along each axis.
#pragma once

#include "detseg/kernel_api.cuh"

// `#pragma unroll` for nvcc; nothing for the host compilers (which would warn about it).
#ifndef DS_NN_UNROLL
#if defined(__CUDACC__)
#define DS_NN_UNROLL _Pragma("unroll")
#else
#define DS_NN_UNROLL
#endif
#endif

#define DS_NN_PAD_CONSTANT 0
#define DS_NN_PAD_REFLECT 1
#define DS_NN_PAD_REPLICATE 2

// Input index read by output o, or -1 (constant mode outside the input).
DS_HD int ds_nn_pad_source(int o, int in, int before, int mode) {
  int i = o - before;
  if (mode == DS_NN_PAD_CONSTANT) return (i < 0 || i >= in) ? -1 : i;
  if (mode == DS_NN_PAD_REFLECT) {
    if (i < 0) i = -i;
    if (i >= in) i = 2 * (in - 1) - i;
    return i;
  }
  return i < 0 ? 0 : (i >= in ? in - 1 : i);
}

// The outputs that read input i, as three half-open ranges [lo[r], hi[r]) in increasing order (empty
// ranges have lo == hi): reflect's left mirror, the direct copy (the whole edge run for replicate) and
// the right mirror. Fixed slots, so GPU code keeps the arrays in registers.
DS_HD void ds_nn_pad_preimage(int i, int in, int out, int before, int mode, int* lo, int* hi) {
  lo[0] = hi[0] = lo[2] = hi[2] = 0;
  int a = i + before, b = i + before + 1;
  if (mode == DS_NN_PAD_REFLECT) {
    const int left = before - i;  // o < before mirrors onto i
    if (i >= 1 && left >= 0) {
      lo[0] = left;
      hi[0] = left + 1;
    }
    const int right = before + 2 * (in - 1) - i;  // o >= before + in mirrors onto i
    if (i <= in - 2 && right < out) {
      lo[2] = right;
      hi[2] = right + 1;
    }
  } else if (mode == DS_NN_PAD_REPLICATE) {
    if (i == 0) a = 0;
    if (i == in - 1) b = out;
  } else {
    if (a < 0) a = 0;
    if (b > out) b = out;
    if (b < a) b = a;
  }
  lo[1] = a;
  hi[1] = b;
}
