package io.detseg.backend;

/** Convolution, transposed convolution, SGEMM and linear layers, forward and backward on the CPU. */
final class CpuConvKernels implements ConvKernels {
}
