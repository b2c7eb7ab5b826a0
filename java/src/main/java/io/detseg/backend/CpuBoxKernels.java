package io.detseg.backend;

/** Box ops, anchors, box coding, matching and sampling on the CPU. */
final class CpuBoxKernels implements BoxKernels {
}
