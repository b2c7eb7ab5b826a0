package io.detseg.backend;

/** Pooling, unpooling, upsampling/resize, batch norm, activations, concat/split and padding, forward and backward on the CPU. */
final class CpuNnKernels implements NnKernels {
}
