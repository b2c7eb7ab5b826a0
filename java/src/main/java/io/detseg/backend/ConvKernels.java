package io.detseg.backend;

import io.detseg.tensor.Tensor;

/**
 * Convolution, transposed convolution, SGEMM and linear layers, forward and backward (convolution
 * issue), on one backend. Arguments are checked by io.detseg.ops before they get here: float32,
 * contiguous, on this backend, sizes consistent with the geometry; outputs preallocated.
 *
 * <p>A transposed convolution has no entry of its own: its forward is {@link #conv2dBackwardData}
 * of the conv2d it transposes (a gather), its input gradient is {@link #conv2dForward} and its
 * weight gradient is {@link #conv2dBackwardWeight} with input and gradient swapped (both at once:
 * {@link #conv2dForwardAndBackwardWeight}).
 */
public interface ConvKernels {
  /**
   * Row-major SGEMM: c[m x n] (leading dimension ldc) = alpha * op(a) op(b) + beta * c, op(x) = x or
   * x^T; a is m x k (k x m when transposed) with leading dimension lda, b is k x n (n x k) with ldb.
   * beta == 0 does not read c.
   */
  void sgemm(boolean transA, boolean transB, long m, long n, long k, float alpha, Tensor a, long lda, Tensor b,
      long ldb, float beta, Tensor c, long ldc);

  /** out[r][j] = bias[j] for r in [0, rows), j in [0, bias.numel()). */
  void fillRows(Tensor bias, long rows, Tensor out);

  /** out[j] = sum over r of x[r][j]: x is rows x cols, out has cols elements. */
  void sumRows(Tensor x, long rows, long cols, Tensor out);

  /** output = conv2d(input, weight) + bias; bias may be null. */
  void conv2dForward(ConvGeometry g, Tensor input, Tensor weight, Tensor bias, Tensor output);

  /** gradInput = the data gradient of conv2d applied to gradOutput (every element written). */
  void conv2dBackwardData(ConvGeometry g, Tensor gradOutput, Tensor weight, Tensor gradInput);

  /** gradWeight = the weight gradient of conv2d applied to gradOutput, summed over the batch. */
  void conv2dBackwardWeight(ConvGeometry g, Tensor input, Tensor gradOutput, Tensor gradWeight);

  /**
   * Both output = conv2d(input, weight) (no bias) and gradWeight = the weight gradient of conv2d at
   * input applied to gradOutput: a transposed convolution's input and weight gradients, which read the
   * same tensor (its output gradient, input here). With inputChannelSums (may be null) also input
   * summed per channel over the batch and positions (the transposed convolution's bias gradient), the
   * third read of it. Backends that can share work between them (the CPU transforms input once for
   * both products, or runs all three band by band) override this; the default runs them one after
   * the other.
   */
  default void conv2dForwardAndBackwardWeight(ConvGeometry g, Tensor input, Tensor weight, Tensor output,
      Tensor gradOutput, Tensor gradWeight, Tensor inputChannelSums) {
    conv2dForward(g, input, weight, null, output);
    conv2dBackwardWeight(g, input, gradOutput, gradWeight);
    if (inputChannelSums != null) {
      conv2dBackwardBias(input, g.n(), g.cIn(), g.h() * g.w(), inputChannelSums);
    }
  }

  /**
   * The forward of a transposed convolution: out = conv2dBackwardData(input) + bias (bias per channel
   * of out, may be null). Backends that can add the bias while writing out override this; the default
   * is the data gradient followed by {@link #addChannelBias}.
   */
  default void convTranspose2dForward(ConvGeometry g, Tensor input, Tensor weight, Tensor bias, Tensor out) {
    conv2dBackwardData(g, input, weight, out);
    if (bias != null) {
      addChannelBias(out, g.n(), g.cIn(), g.h() * g.w(), bias);
    }
  }

  /** out[b][c][i] += bias[c] for out [n, c, hw] (the bias of a transposed convolution). */
  void addChannelBias(Tensor out, long n, long c, long hw, Tensor bias);

  /** gradBias[c] = sum over batch and hw of gradOutput [n, c, hw]. */
  void conv2dBackwardBias(Tensor gradOutput, long n, long c, long hw, Tensor gradBias);
}
