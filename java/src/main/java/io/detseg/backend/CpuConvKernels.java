package io.detseg.backend;

import io.detseg.tensor.Tensor;

/**
 * Convolution, transposed convolution, SGEMM and linear layers, forward and backward on the CPU:
 * native/cpu/conv* through {@link CpuConvNative} (own blocked SGEMM, implicit-GEMM convolution,
 * depthwise path; docs/kernels/conv.md).
 */
final class CpuConvKernels implements ConvKernels {
  @Override
  public void sgemm(boolean transA, boolean transB, long m, long n, long k, float alpha, Tensor a, long lda,
      Tensor b, long ldb, float beta, Tensor c, long ldc) {
    CpuConvNative.sgemm(transA, transB, m, n, k, alpha, a.address(), lda, b.address(), ldb, beta, c.address(), ldc);
  }

  @Override
  public void fillRows(Tensor bias, long rows, Tensor out) {
    CpuConvNative.fillRows(bias.address(), rows, bias.numel(), out.address());
  }

  @Override
  public void sumRows(Tensor x, long rows, long cols, Tensor out) {
    CpuConvNative.sumRows(x.address(), rows, cols, out.address());
  }

  @Override
  public void conv2dForward(ConvGeometry g, Tensor input, Tensor weight, Tensor bias, Tensor output) {
    CpuConvNative.conv2dForward(g.toArray(), input.address(), weight.address(), bias == null ? 0 : bias.address(),
        output.address());
  }

  @Override
  public void conv2dBackwardData(ConvGeometry g, Tensor gradOutput, Tensor weight, Tensor gradInput) {
    CpuConvNative.conv2dBackwardData(g.toArray(), gradOutput.address(), weight.address(), gradInput.address());
  }

  @Override
  public void conv2dBackwardWeight(ConvGeometry g, Tensor input, Tensor gradOutput, Tensor gradWeight) {
    CpuConvNative.conv2dBackwardWeight(g.toArray(), input.address(), gradOutput.address(), gradWeight.address());
  }

  @Override
  public void addChannelBias(Tensor out, long n, long c, long hw, Tensor bias) {
    CpuConvNative.addChannelBias(out.address(), n, c, hw, bias.address());
  }

  @Override
  public void conv2dBackwardBias(Tensor gradOutput, long n, long c, long hw, Tensor gradBias) {
    CpuConvNative.conv2dBackwardBias(gradOutput.address(), n, c, hw, gradBias.address());
  }

  /** The CPU micro-kernel in use (for benchmarks and `detseg devices`-style reports). */
  static String kernelName() {
    return CpuConvNative.kernelName();
  }
}
