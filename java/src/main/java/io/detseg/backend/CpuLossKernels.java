package io.detseg.backend;

import io.detseg.tensor.Tensor;

/** Detection and segmentation losses, forward and backward, on the CPU (native/cpu/loss_*.cpp). */
final class CpuLossKernels implements LossKernels {
  static long addr(Tensor t) {
    return t == null ? 0L : t.address();
  }

  private static long addr(Broadcast b) {
    return b == null ? 0L : b.w().address();
  }

  private static long inner(Broadcast b) {
    return b == null ? 1L : b.inner();
  }

  private static long mid(Broadcast b) {
    return b == null ? 1L : b.mid();
  }

  @Override
  public long softmaxLoss(SoftmaxLoss spec, Tensor input, Tensor target, Tensor weight, long n, long c, long s,
      int reduction, Tensor out, Tensor logProb) {
    return CpuLossNative.softmaxLossForward(input.address(), target.address(), addr(weight), n, c, s,
        spec.ignoreIndex(), spec.mode(), spec.labelSmoothing(), spec.alpha(), spec.gamma(), reduction,
        out.address(), addr(logProb));
  }

  @Override
  public long softmaxLossBackward(SoftmaxLoss spec, Tensor input, Tensor target, Tensor weight, long n, long c,
      long s, int reduction, Tensor gradOutput, Tensor gradInput) {
    return CpuLossNative.softmaxLossBackward(input.address(), target.address(), addr(weight), n, c, s,
        spec.ignoreIndex(), spec.mode(), spec.labelSmoothing(), spec.alpha(), spec.gamma(), reduction,
        gradOutput.address(), reduction == NONE, gradInput.address());
  }

  @Override
  public long nllLoss(Tensor input, Tensor target, Tensor weight, long n, long c, long s, int ignoreIndex,
      int reduction, Tensor out) {
    return CpuLossNative.nllLossForward(input.address(), target.address(), addr(weight), n, c, s, ignoreIndex,
        reduction, out.address());
  }

  @Override
  public long nllLossBackward(Tensor target, Tensor weight, long n, long c, long s, int ignoreIndex, int reduction,
      Tensor gradOutput, Tensor gradInput) {
    return CpuLossNative.nllLossBackward(target.address(), addr(weight), n, c, s, ignoreIndex, reduction,
        gradOutput.address(), reduction == NONE, gradInput.address());
  }

  @Override
  public long pointwiseLoss(Pointwise p, int reduction, Tensor out) {
    long bad = p.kind() == Pointwise.BCE ? CpuLossNative.firstOutsideUnit(p.x().address(), p.n()) : -1;
    CpuLossNative.pointwiseForward(p.kind(), p.x().address(), addr(p.t()), addr(p.weight()), inner(p.weight()),
        mid(p.weight()), addr(p.posWeight()), inner(p.posWeight()), mid(p.posWeight()), p.a(), p.b(), p.n(),
        reduction, out.address());
    return bad;
  }

  @Override
  public void pointwiseLossBackward(Pointwise p, int reduction, Tensor gradOutput, Tensor gradInput) {
    CpuLossNative.pointwiseBackward(p.kind(), p.x().address(), addr(p.t()), addr(p.weight()), inner(p.weight()),
        mid(p.weight()), addr(p.posWeight()), inner(p.posWeight()), mid(p.posWeight()), p.a(), p.b(), p.n(),
        reduction, gradOutput.address(), reduction == NONE, gradInput.address());
  }

  @Override
  public long pointwiseLossFused(Pointwise p, int reduction, Tensor out, Tensor gradInput) {
    long bad = p.kind() == Pointwise.BCE ? CpuLossNative.firstOutsideUnit(p.x().address(), p.n()) : -1;
    CpuLossNative.pointwiseFused(p.kind(), p.x().address(), addr(p.t()), addr(p.weight()), inner(p.weight()),
        mid(p.weight()), addr(p.posWeight()), inner(p.posWeight()), mid(p.posWeight()), p.a(), p.b(), p.n(),
        reduction, out.address(), gradInput.address());
    return bad;
  }

  @Override
  public void rowsHalfSquared(Tensor p, Tensor t, long n, long k, Tensor reg, Tensor out) {
    CpuLossNative.rowsHalfSquaredForward(p.address(), t.address(), n, k, reg.item(), out.address());
  }

  @Override
  public void rowsHalfSquaredBackward(Tensor p, Tensor t, long n, long k, Tensor gradOutput, boolean gradElementwise,
      float divisor, Tensor gradInput) {
    CpuLossNative.rowsHalfSquaredBackward(p.address(), t.address(), n, k, gradOutput.address(), gradElementwise,
        divisor, gradInput.address());
  }

  @Override
  public long regionLoss(Region r, Tensor x, Tensor floatTarget, Tensor intTarget, long n, long c, long s,
      int reduction, Tensor out) {
    return CpuLossNative.regionLossForward(x.address(), addr(floatTarget), addr(intTarget), n, c, s, r.mode(),
        r.fromLogits(), r.hasIgnore(), r.ignoreIndex(), r.kind(), r.smooth(), r.eps(), r.logLoss(), reduction,
        out.address());
  }

  @Override
  public long regionLossBackward(Region r, Tensor x, Tensor floatTarget, Tensor intTarget, long n, long c, long s,
      int reduction, Tensor gradOutput, Tensor gradInput) {
    return CpuLossNative.regionLossBackward(x.address(), addr(floatTarget), addr(intTarget), n, c, s, r.mode(),
        r.fromLogits(), r.hasIgnore(), r.ignoreIndex(), r.kind(), r.smooth(), r.eps(), r.logLoss(), reduction,
        gradOutput.address(), gradInput.address());
  }

  @Override
  public long gatherByLabel(Tensor src, Tensor labels, long r, long c, long k, Tensor dst) {
    return CpuLossNative.gatherByLabel(src.address(), labels.address(), r, c, k, dst.address());
  }

  @Override
  public void scatterByLabel(Tensor src, Tensor labels, long r, long c, long k, Tensor dst) {
    CpuLossNative.scatterByLabel(src.address(), labels.address(), r, c, k, dst.address());
  }

  @Override
  public void labelMasks(Tensor labels, long r, int mode, Tensor target, Tensor weight) {
    CpuLossNative.labelMasks(labels.address(), r, mode, addr(target), weight.address());
  }

  @Override
  public void hardNegativeMining(Tensor loss, Tensor labels, long n, long a, int ratio, Tensor used) {
    CpuLossNative.hardNegativeMining(loss.address(), labels.address(), n, a, ratio, used.address());
  }

  @Override
  public void yoloLoss(Yolo y, Tensor pred, Tensor target, long n, Tensor outImg) {
    CpuLossNative.yoloForward(pred.address(), target.address(), n, y.grid(), y.boxes(), y.classes(), y.lambdaCoord(),
        y.lambdaNoobj(), y.iouTarget(), outImg.address());
  }

  @Override
  public void yoloLossBackward(Yolo y, Tensor pred, Tensor target, long n, Tensor gradOutput, boolean gradElementwise,
      float divisor, Tensor gradInput) {
    CpuLossNative.yoloBackward(pred.address(), target.address(), n, y.grid(), y.boxes(), y.classes(), y.lambdaCoord(),
        y.lambdaNoobj(), y.iouTarget(), gradOutput.address(), gradElementwise, divisor, gradInput.address());
  }
}
