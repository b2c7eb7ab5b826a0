package io.detseg.backend;

/** RoIPool and RoIAlign, forward and backward, single and multi-level (detection-ops issue), on one backend. Arguments are checked by io.detseg.ops before they get here. */
public interface RoiKernels {
}
