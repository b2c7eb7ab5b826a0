package io.detseg.backend;

/** Box ops, anchors, box coding, matching and sampling (detection-ops issue), on one backend. Arguments are checked by io.detseg.ops before they get here. */
public interface BoxKernels {
}
