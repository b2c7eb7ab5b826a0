package io.detseg.backend.cuda;

import io.detseg.backend.NmsKernels;

/** Non-maximum suppression: greedy, batched, soft, ONNX NonMaxSuppression as CUDA kernels. */
final class CudaNmsKernels implements NmsKernels {
  private final CudaBackend backend;

  CudaNmsKernels(CudaBackend backend) {
    this.backend = backend;
  }
}
