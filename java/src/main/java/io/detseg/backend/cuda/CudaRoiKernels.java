package io.detseg.backend.cuda;

import io.detseg.backend.RoiKernels;

/** RoIPool and RoIAlign, forward and backward, single and multi-level as CUDA kernels. */
final class CudaRoiKernels implements RoiKernels {
  private final CudaBackend backend;

  CudaRoiKernels(CudaBackend backend) {
    this.backend = backend;
  }
}
