package io.detseg.backend;

/** Convolution, transposed convolution, SGEMM and linear layers, forward and backward (convolution issue), on one backend. Arguments are checked by io.detseg.ops before they get here. */
public interface ConvKernels {
}
