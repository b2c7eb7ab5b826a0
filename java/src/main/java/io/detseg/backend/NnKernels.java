package io.detseg.backend;

/** Pooling, unpooling, upsampling/resize, batch norm, activations, concat/split and padding, forward and backward (convolution issue), on one backend. Arguments are checked by io.detseg.ops before they get here. */
public interface NnKernels {
}
