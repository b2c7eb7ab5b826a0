package io.detseg.backend;

import io.detseg.tensor.Tensor;

/** The first ops on the CPU: native/cpu through {@link CpuNative}. */
final class CpuBasicKernels implements BasicKernels {
  @Override
  public void add(Tensor a, Tensor b, Tensor out) {
    CpuNative.add(a.address(), b.address(), out.address(), out.numel());
  }

  @Override
  public void mul(Tensor a, Tensor b, Tensor out) {
    CpuNative.mul(a.address(), b.address(), out.address(), out.numel());
  }

  @Override
  public void relu(Tensor x, Tensor out) {
    CpuNative.relu(x.address(), out.address(), out.numel());
  }

  @Override
  public void reluBackward(Tensor grad, Tensor x, Tensor out) {
    CpuNative.reluBackward(grad.address(), x.address(), out.address(), out.numel());
  }

  @Override
  public void sum(Tensor x, Tensor out) {
    CpuNative.fill(out.address(), CpuNative.sum(x.address(), x.numel()), 1);
  }

  @Override
  public void max(Tensor x, Tensor out) {
    CpuNative.fill(out.address(), CpuNative.max(x.address(), x.numel()), 1);
  }

  @Override
  public void maxBackward(Tensor grad, Tensor x, Tensor max, Tensor out) {
    float m = max.item();
    long count = CpuNative.countEqual(x.address(), x.numel(), m);
    CpuNative.maxBackward(grad.item(), x.address(), m, count, out.address(), out.numel());
  }

  @Override
  public void broadcastScalar(Tensor value, Tensor out) {
    CpuNative.fill(out.address(), value.item(), out.numel());
  }

  @Override
  public void boxIou(Tensor boxes1, Tensor boxes2, Tensor out) {
    CpuNative.boxIou(boxes1.address(), boxes1.size(0), boxes2.address(), boxes2.size(0), out.address());
  }

  @Override
  public void stridedCopy(Tensor in, long inOffset, long[] shape, long[] strides, Tensor out) {
    int elem = in.dtype().byteSize();
    CpuNative.stridedCopy(in.address() + inOffset * elem, out.address(), elem, shape, strides);
  }
}
