package io.detseg.backend;

import io.detseg.tensor.Tensor;

/**
 * Pooling, unpooling, upsampling/resize, batch norm, activations, concat/split and padding, forward and
 * backward (convolution issue), on one backend. Arguments are checked by io.detseg.ops before they
 * get here: tensors are float32 (indices int32), contiguous NCHW, on this backend's device, with the
 * sizes the geometry says, and every plane has fewer than 2^31 elements. Contracts: docs/kernels/nn.md.
 */
public interface NnKernels {
  /**
   * Pooling geometry over {@code planes} planes of h x w: output (oh, ow) has its window start at
   * (oh * strideH - padTop, ow * strideW - padLeft) with taps every dilation; limH/limW = input size +
   * padding at the end (the count_include_pad divisor's bound).
   */
  record Pool2d(long planes, int h, int w, int outH, int outW, int kernelH, int kernelW, int strideH, int strideW,
      int padTop, int padLeft, int limH, int limW, int dilationH, int dilationW) {
    public long[] toArray() {
      return new long[] {planes, h, w, outH, outW, kernelH, kernelW, strideH, strideW, padTop, padLeft, limH, limW,
          dilationH, dilationW};
    }
  }

  /** Interpolation mode, coordinate transformation and nearest rounding codes of nn_resize_math.cuh. */
  int MODE_NEAREST = 0;
  int MODE_LINEAR = 1;
  int MODE_CUBIC = 2;
  int COORD_HALF_PIXEL = 0;
  int COORD_PYTORCH_HALF_PIXEL = 1;
  int COORD_ALIGN_CORNERS = 2;
  int COORD_ASYMMETRIC = 3;
  /** ONNX's arithmetic for the same modes: scale is ONNX's forward scale, coordinates divided in double. */
  int COORD_ONNX_HALF_PIXEL = 4;
  int COORD_ONNX_PYTORCH_HALF_PIXEL = 5;
  int COORD_ONNX_ALIGN_CORNERS = 6;
  int COORD_ONNX_ASYMMETRIC = 7;
  int NEAREST_TORCH = 0;
  int NEAREST_TORCH_EXACT = 1;
  int NEAREST_ROUND_PREFER_FLOOR = 2;
  int NEAREST_ROUND_PREFER_CEIL = 3;
  int NEAREST_FLOOR = 4;
  int NEAREST_CEIL = 5;

  /** A 2-D resize of planes inH x inW to outH x outW; scales as nn_resize_math.cuh defines them. */
  record Resize2d(long planes, int inH, int inW, int outH, int outW, float scaleH, float scaleW, int mode,
      int coord, int nearest, float cubicA, boolean excludeOutside) {}

  int ACT_RELU6 = 0;
  int ACT_LEAKY_RELU = 1;
  int ACT_SIGMOID = 2;
  int ACT_TANH = 3;

  int PAD_CONSTANT = 0;
  int PAD_REFLECT = 1;
  int PAD_REPLICATE = 2;

  void maxPool2d(Tensor x, Tensor y, Tensor indices, Pool2d g);

  void avgPool2d(Tensor x, Tensor y, Pool2d g, boolean countIncludePad, int divisorOverride);

  /** Gradients of outputs whose recorded index lies outside their window are ignored. */
  void maxPool2dBackward(Tensor grad, Tensor indices, Tensor gradInput, Pool2d g);

  void avgPool2dBackward(Tensor grad, Tensor gradInput, Pool2d g, boolean countIncludePad, int divisorOverride);

  /** Adaptive average pooling; 1 x 1 is global average pooling (the mean of each plane). */
  void adaptiveAvgPool2d(Tensor x, Tensor y, long planes, int h, int w, int outH, int outW);

  void adaptiveMaxPool2d(Tensor x, Tensor y, Tensor indices, long planes, int h, int w, int outH, int outW);

  void adaptiveAvgPool2dBackward(Tensor grad, Tensor gradInput, long planes, int h, int w, int outH, int outW);

  void adaptiveMaxPool2dBackward(Tensor grad, Tensor indices, Tensor gradInput, long planes, int h, int w, int outH,
      int outW);

  /** Returns false (output unspecified) when an index lies outside [0, outHw). */
  boolean maxUnpool2d(Tensor x, Tensor indices, Tensor y, long planes, int inHw, int outHw);

  /** Returns false when an index lies outside [0, outHw) (its gradient is 0). */
  boolean maxUnpool2dBackward(Tensor grad, Tensor indices, Tensor gradInput, long planes, int inHw, int outHw);

  int INDEX_TO_ONNX_ROW_MAJOR = 0;
  int INDEX_TO_ONNX_COLUMN_MAJOR = 1;
  int INDEX_FROM_ONNX_ROW_MAJOR = 2;

  /**
   * Converts int32 argmax indices (perPlane of them per plane) between the per-plane flat layout and
   * ONNX's whole-tensor layouts of an h x w plane (mode: INDEX_*); results must fit int32 (checked by the
   * caller).
   */
  void indexLayout(Tensor in, Tensor out, long planes, int perPlane, int h, int w, int mode);

  void resize(Tensor x, Tensor y, Resize2d r);

  void resizeBackward(Tensor grad, Tensor gradInput, Resize2d r);

  void bedOfNails(Tensor x, Tensor y, long planes, int h, int w, int strideH, int strideW);

  void bedOfNailsBackward(Tensor grad, Tensor gradInput, long planes, int h, int w, int strideH, int strideW);

  /**
   * x [n, c, s]; weight, bias, runningMean, runningVar may be null (running stats are required when not
   * training). Writes y, saveMean and saveInvstd (the running mean and 1/sqrt(var + eps) in inference).
   * unbiased: the running variance is updated with the unbiased batch variance (PyTorch) or the biased one
   * (ONNX).
   */
  void batchNorm(Tensor x, Tensor y, long n, int c, long s, Tensor weight, Tensor bias, Tensor runningMean,
      Tensor runningVar, boolean training, float momentum, float eps, boolean unbiased, Tensor saveMean,
      Tensor saveInvstd);

  void batchNormBackward(Tensor grad, Tensor x, long n, int c, long s, Tensor weight, Tensor runningMean,
      Tensor runningVar, Tensor saveMean, Tensor saveInvstd, boolean training, float eps, Tensor gradInput,
      Tensor gradWeight, Tensor gradBias);

  /** op: ACT_*; slope is leaky_relu's negative_slope. */
  void activation(Tensor x, Tensor y, int op, float slope);

  /** v: the forward's input (relu6, leaky_relu) or output (sigmoid, tanh). */
  void activationBackward(Tensor grad, Tensor v, Tensor gradInput, int op, float slope);

  /** Moves 32-bit elements (float32 or int32); valueBits is the constant fill's bit pattern. */
  void pad2d(Tensor x, Tensor y, long planes, int h, int w, int outH, int outW, int padTop, int padLeft, int mode,
      int valueBits);

  void pad2dBackward(Tensor grad, Tensor gradInput, long planes, int h, int w, int outH, int outW, int padTop,
      int padLeft, int mode);

  /** dst[dstOffset + r * dstStride + col] = src[srcOffset + r * srcStride + col] (offsets in elements). */
  void copy2d(Tensor src, long srcOffset, long srcStride, Tensor dst, long dstOffset, long dstStride, long rows,
      long cols);
}
