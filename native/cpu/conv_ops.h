// The CPU conv family: SGEMM, conv2d forward / data gradient / weight gradient / bias gradient.
// Called from native/jni/jni_conv.cpp after io.detseg.ops.Conv validated every argument; float32,
// contiguous row-major (NCHW) buffers, sizes as int64.
//
// conv_transpose2d has no entry of its own: its forward is conv2d's data gradient (a gather, no
// scatter), its input gradient is conv2d's forward and its weight gradient is conv2d's weight
// gradient with input and output swapped (io.detseg.ops.Conv does the mapping).
//
// Results do not depend on the thread count: every output element sums its terms in an order fixed
// by the shapes (the GEMM's k order; batches in order for weight and bias gradients).
#pragma once

#include <cstdint>

namespace detseg {
namespace cpu {

// C[M x N] = alpha * op(A) op(B) + beta * C, row-major, op(X) = X or X^T (BLAS sgemm on row-major
// data). beta == 0 does not read C. Own blocked SGEMM (conv_gemm.h), both cores, AVX-512 or AVX2
// micro-kernel chosen at run time.
void sgemm_f32(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
               const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// Linear-layer helpers: out[r][j] = bias[j] (rows x cols); out[j] = sum over r of x[r][j], each
// column summed in row order in double.
void fill_rows_f32(const float* bias, int64_t rows, int64_t cols, float* out);
void sum_rows_f32(const float* x, int64_t rows, int64_t cols, float* out);

// Geometry of one conv2d: input [n, c_in, h, w], weight [c_out, c_in / groups, kh, kw], output
// [n, c_out, h_out, w_out]. pad_h / pad_w are the top / left paddings; bottom / right paddings are
// implied by h_out / w_out (so asymmetric ONNX pads need nothing else). Every size >= 1 except
// padding (>= 0); strides and dilations >= 1.
struct Conv2dGeom {
  int64_t n, c_in, h, w;
  int64_t c_out, h_out, w_out;
  int64_t kh, kw;
  int64_t stride_h, stride_w;
  int64_t pad_h, pad_w;
  int64_t dil_h, dil_w;
  int64_t groups;
};

// y = conv2d(x, weight) + bias (bias may be null).
void conv2d_forward_f32(const Conv2dGeom& g, const float* x, const float* weight, const float* bias, float* y);
// dx = d conv2d / d input applied to dy (every element of dx written).
// With bias (one value per input channel, or null) every dx point starts from its channel's bias: the
// forward of a transposed convolution with its bias, in one pass.
void conv2d_backward_data_f32(const Conv2dGeom& g, const float* dy, const float* weight, float* dx,
                              const float* bias = nullptr);
// dweight = d conv2d / d weight applied to dy, summed over the batch (every element written).
void conv2d_backward_weight_f32(const Conv2dGeom& g, const float* x, const float* dy, float* dweight);
// Both of y = conv2d(x, weight) (no bias) and dweight = d conv2d / d weight at x applied to dy: a
// transposed convolution's input and weight gradients (x its output gradient, dy its input), which
// share x. Where both run by Winograd input phases, x's transforms are computed once; where both are
// implicit GEMMs packing from x, they run band by band of x. x_sums (null: not wanted) gets x summed
// per channel over the batch and positions: the transposed convolution's bias gradient.
void conv2d_forward_and_weight_grad_f32(const Conv2dGeom& g, const float* x, const float* weight, float* y,
                                        const float* dy, float* dweight, float* x_sums = nullptr);
// out[b][c][i] += bias[c] for out [n, c, hw] (a transposed convolution's bias).
void add_channel_bias_f32(float* out, int64_t n, int64_t c, int64_t hw, const float* bias);
// dbias[c] = sum over n, h, w of dy[n][c][h][w].
void conv2d_backward_bias_f32(const float* dy, int64_t n, int64_t c, int64_t hw, float* dbias);

// Which micro-kernel runs here, e.g. "avx512 14x32".
const char* conv_kernel_name();

// For tests: run the conv family with the kernels of level 0 (SSE2), 1 (AVX2) or 2 (AVX-512), or -1
// for the detected level again. False (nothing changed) when this CPU lacks the level. Not for use
// while conv calls run on other threads.
bool conv_force_isa(int level);

// Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions (conv_winograd.h): mode 0 never, 1 where it pays
// (the default; DETSEG_CONV_WINOGRAD=off|auto|always sets the start), 2 wherever it fits. Returns
// the previous mode. conv_winograd_runs counts the convolutions it ran (tests).
int conv_set_winograd(int mode);
int64_t conv_winograd_runs();

// For tests: sets the measured speed of OpenMP thread `tid` (multiply-adds per ns; 0 = unknown) by
// which SGEMM shares rows and columns between threads (conv_gemm.cpp), so a test can put the splits at
// their extremes. Later calls measure and overwrite it.
void conv_set_thread_speed(int tid, float speed);

}  // namespace cpu
}  // namespace detseg
