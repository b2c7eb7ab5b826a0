package io.detseg.backend;

/** Detection and segmentation losses, forward and backward, and evaluation metrics on the CPU. */
final class CpuLossKernels implements LossKernels {
}
