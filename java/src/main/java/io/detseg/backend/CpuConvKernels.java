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
    CpuConvNative.conv2dBackwardData(g.toArray(), gradOutput.address(), weight.address(), 0, gradInput.address());
  }

  /** The bias is the starting value of the data gradient's GEMMs: no second pass over the output. */
  @Override
  public void convTranspose2dForward(ConvGeometry g, Tensor input, Tensor weight, Tensor bias, Tensor out) {
    CpuConvNative.conv2dBackwardData(g.toArray(), input.address(), weight.address(),
        bias == null ? 0 : bias.address(), out.address());
  }

  @Override
  public void conv2dBackwardWeight(ConvGeometry g, Tensor input, Tensor gradOutput, Tensor gradWeight) {
    CpuConvNative.conv2dBackwardWeight(g.toArray(), input.address(), gradOutput.address(), gradWeight.address());
  }

  /**
   * One native call: the input transforms of the shared input are computed once where both run by
   * Winograd; implicit GEMMs (and the channel sums) run band by band of the input.
   */
  @Override
  public void conv2dForwardAndBackwardWeight(ConvGeometry g, Tensor input, Tensor weight, Tensor output,
      Tensor gradOutput, Tensor gradWeight, Tensor inputChannelSums) {
    CpuConvNative.conv2dForwardAndBackwardWeight(g.toArray(), input.address(), weight.address(), output.address(),
        gradOutput.address(), gradWeight.address(), inputChannelSums == null ? 0L : inputChannelSums.address());
  }

  @Override
  public void addChannelBias(Tensor out, long n, long c, long hw, Tensor bias) {
    CpuConvNative.addChannelBias(out.address(), n, c, hw, bias.address());
  }

  @Override
  public void conv2dBackwardBias(Tensor gradOutput, long n, long c, long hw, Tensor gradBias) {
    CpuConvNative.conv2dBackwardBias(gradOutput.address(), n, c, hw, gradBias.address());
  }

  /** The CPU micro-kernel in use, e.g. "avx512 14x32". */
  static String kernelName() {
    return CpuConvNative.kernelName();
  }

  /**
   * Tests only: makes the CPU conv family run the kernels of one instruction set ("scalar", "avx2",
   * "avx512") or the detected one again ("auto"); returns false when this CPU lacks it. Not safe while
   * conv ops run on other threads.
   */
  static boolean forceInstructionSetForTesting(String level) {
    switch (level) {
      case "scalar": return CpuConvNative.forceIsa(0);
      case "avx2": return CpuConvNative.forceIsa(1);
      case "avx512": return CpuConvNative.forceIsa(2);
      case "auto": return CpuConvNative.forceIsa(-1);
      default: throw new IllegalArgumentException("forceInstructionSetForTesting: expected scalar, avx2, avx512 or auto "
          + "but got '" + level + "'");
    }
  }

  /**
   * Tests only: where 3x3 stride-1 convolutions take the Winograd F(2x2, 3x3) path: "off", "auto" (where it
   * pays; the default, or what DETSEG_CONV_WINOGRAD=off|auto|always set) or "always" (wherever it fits).
   * Not safe while conv ops run on other threads.
   */
  static void forceWinogradForTesting(String mode) {
    switch (mode) {
      case "off": CpuConvNative.setWinograd(0); break;
      case "auto": CpuConvNative.setWinograd(1); break;
      case "always": CpuConvNative.setWinograd(2); break;
      default: throw new IllegalArgumentException("forceWinogradForTesting: expected off, auto or always but got '"
          + mode + "'");
    }
  }

  /** Tests only: how many convolutions the Winograd path has run in this process. */
  static long winogradRunsForTesting() {
    return CpuConvNative.winogradRuns();
  }
}
