package io.detseg.backend.cuda;

import io.detseg.backend.NnKernels;

/** Pooling, unpooling, upsampling/resize, batch norm, activations, concat/split and padding, forward and backward as CUDA kernels. */
final class CudaNnKernels implements NnKernels {
  private final CudaBackend backend;

  CudaNnKernels(CudaBackend backend) {
    this.backend = backend;
  }
}
