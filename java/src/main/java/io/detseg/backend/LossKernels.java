package io.detseg.backend;

/** Detection and segmentation losses, forward and backward, and evaluation metrics (losses issue), on one backend. Arguments are checked by io.detseg.ops before they get here. */
public interface LossKernels {
}
