package io.detseg.backend.cuda;

import io.detseg.backend.BoxKernels;

/** Box ops, anchors, box coding, matching and sampling as CUDA kernels. */
final class CudaBoxKernels implements BoxKernels {
  private final CudaBackend backend;

  CudaBoxKernels(CudaBackend backend) {
    this.backend = backend;
  }
}
