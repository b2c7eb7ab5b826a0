package io.detseg.backend;

import io.detseg.tensor.Tensor;

/** Pooling, unpooling, upsampling/resize, batch norm, activations, concat/split and padding, forward and backward on the CPU. */
final class CpuNnKernels implements NnKernels {
  private static long addr(Tensor t) {
    return t == null ? 0L : t.address();
  }

  @Override
  public void maxPool2d(Tensor x, Tensor y, Tensor indices, Pool2d g) {
    CpuNnNative.maxPool2d(x.address(), y.address(), indices.address(), g.toArray());
  }

  @Override
  public void avgPool2d(Tensor x, Tensor y, Pool2d g, boolean countIncludePad, int divisorOverride) {
    CpuNnNative.avgPool2d(x.address(), y.address(), g.toArray(), countIncludePad ? 1 : 0, divisorOverride);
  }

  @Override
  public void maxPool2dBackward(Tensor grad, Tensor indices, Tensor gradInput, Pool2d g) {
    CpuNnNative.maxPool2dBackward(grad.address(), indices.address(), gradInput.address(), g.toArray());
  }

  @Override
  public void avgPool2dBackward(Tensor grad, Tensor gradInput, Pool2d g, boolean countIncludePad,
      int divisorOverride) {
    CpuNnNative.avgPool2dBackward(grad.address(), gradInput.address(), g.toArray(), countIncludePad ? 1 : 0,
        divisorOverride);
  }

  @Override
  public void adaptiveAvgPool2d(Tensor x, Tensor y, long planes, int h, int w, int outH, int outW) {
    CpuNnNative.adaptiveAvgPool2d(x.address(), y.address(), planes, h, w, outH, outW);
  }

  @Override
  public void adaptiveMaxPool2d(Tensor x, Tensor y, Tensor indices, long planes, int h, int w, int outH, int outW) {
    CpuNnNative.adaptiveMaxPool2d(x.address(), y.address(), indices.address(), planes, h, w, outH, outW);
  }

  @Override
  public void adaptiveAvgPool2dBackward(Tensor grad, Tensor gradInput, long planes, int h, int w, int outH,
      int outW) {
    CpuNnNative.adaptiveAvgPool2dBackward(grad.address(), gradInput.address(), planes, h, w, outH, outW);
  }

  @Override
  public void adaptiveMaxPool2dBackward(Tensor grad, Tensor indices, Tensor gradInput, long planes, int h, int w,
      int outH, int outW) {
    CpuNnNative.adaptiveMaxPool2dBackward(grad.address(), indices.address(), gradInput.address(), planes, h, w, outH,
        outW);
  }

  @Override
  public boolean maxUnpool2d(Tensor x, Tensor indices, Tensor y, long planes, int inHw, int outHw) {
    return CpuNnNative.maxUnpool2d(x.address(), indices.address(), y.address(), planes, inHw, outHw) == 0;
  }

  @Override
  public boolean maxUnpool2dBackward(Tensor grad, Tensor indices, Tensor gradInput, long planes, int inHw,
      int outHw) {
    return CpuNnNative.maxUnpool2dBackward(grad.address(), indices.address(), gradInput.address(), planes, inHw,
        outHw) == 0;
  }

  @Override
  public void indexLayout(Tensor in, Tensor out, long planes, int perPlane, int h, int w, int mode) {
    CpuNnNative.indexLayout(in.address(), out.address(), planes, perPlane, h, w, mode);
  }

  @Override
  public void resize(Tensor x, Tensor y, Resize2d r) {
    CpuNnNative.resize(x.address(), y.address(), r.planes(), r.inH(), r.inW(), r.outH(), r.outW(), r.scaleH(),
        r.scaleW(), r.mode(), r.coord(), r.nearest(), r.cubicA(), r.excludeOutside() ? 1 : 0);
  }

  @Override
  public void resizeBackward(Tensor grad, Tensor gradInput, Resize2d r) {
    CpuNnNative.resizeBackward(grad.address(), gradInput.address(), r.planes(), r.inH(), r.inW(), r.outH(), r.outW(),
        r.scaleH(), r.scaleW(), r.mode(), r.coord(), r.nearest(), r.cubicA(), r.excludeOutside() ? 1 : 0);
  }

  @Override
  public void bedOfNails(Tensor x, Tensor y, long planes, int h, int w, int strideH, int strideW) {
    CpuNnNative.bedOfNails(x.address(), y.address(), planes, h, w, strideH, strideW);
  }

  @Override
  public void bedOfNailsBackward(Tensor grad, Tensor gradInput, long planes, int h, int w, int strideH,
      int strideW) {
    CpuNnNative.bedOfNailsBackward(grad.address(), gradInput.address(), planes, h, w, strideH, strideW);
  }

  @Override
  public void batchNorm(Tensor x, Tensor y, long n, int c, long s, Tensor weight, Tensor bias, Tensor runningMean,
      Tensor runningVar, boolean training, float momentum, float eps, boolean unbiased, Tensor saveMean,
      Tensor saveInvstd) {
    CpuNnNative.batchNorm(x.address(), y.address(), n, c, s, addr(weight), addr(bias), addr(runningMean),
        addr(runningVar), training, momentum, eps, unbiased, saveMean.address(), saveInvstd.address());
  }

  @Override
  public void batchNormBackward(Tensor grad, Tensor x, long n, int c, long s, Tensor weight, Tensor runningMean,
      Tensor runningVar, Tensor saveMean, Tensor saveInvstd, boolean training, float eps, Tensor gradInput,
      Tensor gradWeight, Tensor gradBias) {
    CpuNnNative.batchNormBackward(grad.address(), x.address(), n, c, s, addr(weight), addr(runningMean),
        addr(runningVar), addr(saveMean), addr(saveInvstd), training, eps, gradInput.address(), gradWeight.address(),
        gradBias.address());
  }

  @Override
  public void activation(Tensor x, Tensor y, int op, float slope) {
    CpuNnNative.activation(x.address(), y.address(), y.numel(), op, slope);
  }

  @Override
  public void activationBackward(Tensor grad, Tensor v, Tensor gradInput, int op, float slope) {
    CpuNnNative.activationBackward(grad.address(), v.address(), gradInput.address(), gradInput.numel(), op, slope);
  }

  @Override
  public void pad2d(Tensor x, Tensor y, long planes, int h, int w, int outH, int outW, int padTop, int padLeft,
      int mode, int valueBits) {
    CpuNnNative.pad2d(x.address(), y.address(), planes, h, w, outH, outW, padTop, padLeft, mode, valueBits);
  }

  @Override
  public void pad2dBackward(Tensor grad, Tensor gradInput, long planes, int h, int w, int outH, int outW, int padTop,
      int padLeft, int mode) {
    CpuNnNative.pad2dBackward(grad.address(), gradInput.address(), planes, h, w, outH, outW, padTop, padLeft, mode);
  }

  @Override
  public void copy2d(Tensor src, long srcOffset, long srcStride, Tensor dst, long dstOffset, long dstStride, long rows,
      long cols) {
    CpuNnNative.copy2d(src.address() + 4 * srcOffset, srcStride, dst.address() + 4 * dstOffset, dstStride, rows, cols);
  }
}
