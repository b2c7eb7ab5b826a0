package io.detseg.backend;

/**
 * The shape of one conv2d as the conv kernels see it: input [n, cIn, h, w], weight
 * [cOut, cIn / groups, kh, kw], output [n, cOut, hOut, wOut]. padTop / padLeft are the top / left
 * paddings; the bottom / right paddings are implied by hOut / wOut, so asymmetric ONNX pads need
 * nothing else. A transposed convolution is described by the conv2d it is the data gradient of
 * (io.detseg.ops.Conv builds both); its paddings may then be negative (ONNX output_shape).
 *
 * <p>Built only by io.detseg.ops after validation: every size is at least 1, groups divides both
 * channel counts, strides and dilations are at least 1.
 */
public record ConvGeometry(long n, long cIn, long h, long w, long cOut, long hOut, long wOut, long kh, long kw,
    long strideH, long strideW, long padTop, long padLeft, long dilationH, long dilationW, long groups) {

  /** The 16 values in the order native/cpu/conv_ops.h's Conv2dGeom declares them. */
  public long[] toArray() {
    return new long[] {n, cIn, h, w, cOut, hOut, wOut, kh, kw, strideH, strideW, padTop, padLeft, dilationH,
        dilationW, groups};
  }

  /** Input channels per group. */
  public long cInPerGroup() {
    return cIn / groups;
  }

  /** Output channels per group. */
  public long cOutPerGroup() {
    return cOut / groups;
  }

  /** One input channel per group: the depthwise (channel-multiplier) case. */
  public boolean depthwise() {
    return cIn == groups;
  }

  /** Multiply-adds of the forward (each gradient costs the same). */
  public double macs() {
    return (double) n * cOut * hOut * wOut * cInPerGroup() * kh * kw;
  }
}
