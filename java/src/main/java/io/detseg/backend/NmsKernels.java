package io.detseg.backend;

/** Non-maximum suppression: greedy, batched, soft, ONNX NonMaxSuppression (detection-ops issue), on one backend. Arguments are checked by io.detseg.ops before they get here. */
public interface NmsKernels {
}
