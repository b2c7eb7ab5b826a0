// The nn family on the CPU: pooling, unpooling, resize, batch norm, activations, padding and the
// strided copy behind cat/split. Called from native/jni/jni_nn.cpp with arguments validated in Java
// (io.detseg.ops); the formulas shared with the CUDA kernels live in kernels/include/detseg/nn_*.cuh.
//
// Tensors are NCHW, contiguous; a "plane" is one (n, c) image, fewer than 2^31 elements (checked in
// Java), so in-plane indices are int and plane offsets int64. Every function runs OpenMP over planes
// (or rows, when there are fewer planes than threads) and its inner loops are written so GCC
// vectorizes them for the variant cpu_simd.h picks at run time. Results never depend on the thread
// count: every sum has a fixed order.
#pragma once

#include <cstdint>

namespace detseg {
namespace cpu {
namespace nn {

// Pooling geometry (see kernels/include/detseg/nn_pool_math.cuh): window starts o * s - pad_begin,
// taps every d, limH/limW = in + pad_end bound the count_include_pad divisor.
struct Pool2d {
  int64_t planes;
  int H, W, outH, outW, kH, kW, sH, sW, pT, pL, limH, limW, dH, dW;
};

// Max pooling with PyTorch's flat per-plane argmax (ih * W + iw).
void max_pool2d_f32(const float* x, float* y, int32_t* ind, const Pool2d& g);
void avg_pool2d_f32(const float* x, float* y, const Pool2d& g, int count_include_pad, int divisor_override);
// grad_input of max pooling; an index outside its output's window extent is ignored (as the CUDA gather).
void max_pool2d_backward_f32(const float* grad, const int32_t* ind, float* gi, const Pool2d& g);
void avg_pool2d_backward_f32(const float* grad, float* gi, const Pool2d& g, int count_include_pad,
                             int divisor_override);

// Adaptive pooling (outH x outW windows [floor(o*in/out), ceil((o+1)*in/out))); 1x1 is global pooling.
void adaptive_avg_pool2d_f32(const float* x, float* y, int64_t planes, int H, int W, int outH, int outW);
void adaptive_max_pool2d_f32(const float* x, float* y, int32_t* ind, int64_t planes, int H, int W, int outH,
                             int outW);
void adaptive_avg_pool2d_backward_f32(const float* grad, float* gi, int64_t planes, int H, int W, int outH,
                                      int outW);
void adaptive_max_pool2d_backward_f32(const float* grad, const int32_t* ind, float* gi, int64_t planes, int H,
                                      int W, int outH, int outW);

// Max unpooling: y (planes x out_hw) = 0 except y[ind[i]] = x[i] (the last duplicate wins). Returns 0,
// or 1 when an index is outside [0, out_hw) (y is then unspecified).
int max_unpool2d_f32(const float* x, const int32_t* ind, float* y, int64_t planes, int in_hw, int out_hw);
// gi[i] = grad[ind[i]]; returns 1 on an index outside [0, out_hw) (that gradient is 0).
int max_unpool2d_backward_f32(const float* grad, const int32_t* ind, float* gi, int64_t planes, int in_hw,
                              int out_hw);

// Argmax index layouts (see ds_nn_index_layout_i32): mode 0 per-plane -> ONNX row-major, 1 -> ONNX
// column-major (storage_order 1), 2 ONNX row-major -> per-plane.
void index_layout_i32(const int32_t* in, int32_t* out, int64_t planes, int per_plane, int H, int W, int mode);

// Resize (modes and coordinate rules: kernels/include/detseg/nn_resize_math.cuh).
struct Resize2d {
  int64_t planes;
  int inH, inW, outH, outW;
  float scaleH, scaleW;
  int mode, coord, nearest;
  float cubic_a;
  int exclude_outside;
};
void resize_f32(const float* x, float* y, const Resize2d& r);
void resize_backward_f32(const float* grad, float* gi, const Resize2d& r);
// Bed of nails: y is (H*sH) x (W*sW) per plane, x at every (sH, sW)-th position, zeros elsewhere.
void bed_of_nails_f32(const float* x, float* y, int64_t planes, int H, int W, int sH, int sW);
void bed_of_nails_backward_f32(const float* grad, float* gi, int64_t planes, int H, int W, int sH, int sW);

// Batch norm over x [N, C, S]. Training: writes save_mean/save_invstd and, when running_mean is not
// null, updates the running statistics (with the unbiased variance when `unbiased`, as PyTorch; the
// biased one otherwise, as ONNX); inference (training == 0) uses them. weight/bias may be null.
void batch_norm_f32(const float* x, float* y, int64_t N, int C, int64_t S, const float* weight, const float* bias,
                    float* running_mean, float* running_var, int training, float momentum, float eps, int unbiased,
                    float* save_mean, float* save_invstd);
// mean/invstd: save_mean/save_invstd in training; ignored in inference (running stats and eps are
// used). grad_weight / grad_bias (C each) are always written.
void batch_norm_backward_f32(const float* grad, const float* x, int64_t N, int C, int64_t S, const float* weight,
                             const float* running_mean, const float* running_var, const float* save_mean,
                             const float* save_invstd, int training, float eps, float* gi, float* grad_weight,
                             float* grad_bias);

// Activations: op 0 relu6, 1 leaky_relu, 2 sigmoid, 3 tanh. The backward's v is the forward's input
// (relu6, leaky_relu) or output (sigmoid, tanh).
void activation_f32(const float* x, float* y, int64_t n, int op, float slope);
void activation_backward_f32(const float* grad, const float* v, float* gi, int64_t n, int op, float slope);

// Padding of the last two dimensions: mode 0 constant (pads may be negative), 1 reflect, 2 replicate.
// The forward moves 32-bit words (float32 or int32; value is the fill's bit pattern).
void pad2d_b32(const uint32_t* x, uint32_t* y, int64_t planes, int H, int W, int outH, int outW, int pT, int pL,
               int mode, uint32_t value);
void pad2d_backward_f32(const float* grad, float* gi, int64_t planes, int H, int W, int outH, int outW, int pT,
                        int pL, int mode);

// dst[r * dst_stride + c] = src[r * src_stride + c] for r < rows, c < cols (cat / split).
void copy2d_f32(const float* src, int64_t src_stride, float* dst, int64_t dst_stride, int64_t rows, int64_t cols);

}  // namespace nn
}  // namespace cpu
}  // namespace detseg
