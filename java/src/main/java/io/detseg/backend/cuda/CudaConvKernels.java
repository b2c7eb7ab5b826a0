package io.detseg.backend.cuda;

import io.detseg.backend.ConvKernels;

/** Convolution, transposed convolution, SGEMM and linear layers, forward and backward as CUDA kernels. */
final class CudaConvKernels implements ConvKernels {
  private final CudaBackend backend;

  CudaConvKernels(CudaBackend backend) {
    this.backend = backend;
  }
}
