package io.detseg.backend.cuda;

import io.detseg.backend.ConvGeometry;
import io.detseg.backend.ConvKernels;
import io.detseg.tensor.Tensor;

/** Convolution, transposed convolution, SGEMM and linear layers, forward and backward as CUDA kernels. */
final class CudaConvKernels implements ConvKernels {
  private final CudaBackend backend;

  CudaConvKernels(CudaBackend backend) {
    this.backend = backend;
  }

  @Override
  public void sgemm(boolean transA, boolean transB, long m, long n, long k, float alpha, Tensor a, long lda, Tensor b,
      long ldb, float beta, Tensor c, long ldc) {
    throw new UnsupportedOperationException("todo");
  }

  @Override
  public void fillRows(Tensor bias, long rows, Tensor out) {
    throw new UnsupportedOperationException("todo");
  }

  @Override
  public void sumRows(Tensor x, long rows, long cols, Tensor out) {
    throw new UnsupportedOperationException("todo");
  }

  @Override
  public void conv2dForward(ConvGeometry g, Tensor input, Tensor weight, Tensor bias, Tensor output) {
    throw new UnsupportedOperationException("todo");
  }

  @Override
  public void conv2dBackwardData(ConvGeometry g, Tensor gradOutput, Tensor weight, Tensor gradInput) {
    throw new UnsupportedOperationException("todo");
  }

  @Override
  public void conv2dBackwardWeight(ConvGeometry g, Tensor input, Tensor gradOutput, Tensor gradWeight) {
    throw new UnsupportedOperationException("todo");
  }

  @Override
  public void addChannelBias(Tensor out, long n, long c, long hw, Tensor bias) {
    throw new UnsupportedOperationException("todo");
  }

  @Override
  public void conv2dBackwardBias(Tensor gradOutput, long n, long c, long hw, Tensor gradBias) {
    throw new UnsupportedOperationException("todo");
  }
}
