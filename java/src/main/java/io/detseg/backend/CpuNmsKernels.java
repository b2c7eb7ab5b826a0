package io.detseg.backend;

/** Non-maximum suppression: greedy, batched, soft, ONNX NonMaxSuppression on the CPU. */
final class CpuNmsKernels implements NmsKernels {
}
