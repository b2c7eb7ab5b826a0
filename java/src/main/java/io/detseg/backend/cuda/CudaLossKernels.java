package io.detseg.backend.cuda;

import io.detseg.backend.LossKernels;

/** Detection and segmentation losses, forward and backward, and evaluation metrics as CUDA kernels. */
final class CudaLossKernels implements LossKernels {
  private final CudaBackend backend;

  CudaLossKernels(CudaBackend backend) {
    this.backend = backend;
  }
}
