package io.detseg.backend;

/** RoIPool and RoIAlign, forward and backward, single and multi-level on the CPU. */
final class CpuRoiKernels implements RoiKernels {
}
