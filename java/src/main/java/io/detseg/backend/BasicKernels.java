package io.detseg.backend;

import io.detseg.tensor.Tensor;

/**
 * The first ops on one backend: float32, contiguous, shapes already checked by io.detseg.ops, outputs
 * preallocated on this backend's device by the caller.
 */
public interface BasicKernels {
  void add(Tensor a, Tensor b, Tensor out);

  void mul(Tensor a, Tensor b, Tensor out);

  void relu(Tensor x, Tensor out);

  void reluBackward(Tensor grad, Tensor x, Tensor out);

  /** Writes the sum of all elements into the 0-d tensor {@code out}. */
  void sum(Tensor x, Tensor out);

  /** Writes the maximum of all elements (NaN if any is NaN) into {@code out}; x is non-empty. */
  void max(Tensor x, Tensor out);

  /** out[i] = grad / count where x[i] equals max (or both NaN), else 0; grad and max are 0-d. */
  void maxBackward(Tensor grad, Tensor x, Tensor max, Tensor out);

  /** Every element of out = the 0-d tensor value (the backward of sum). */
  void broadcastScalar(Tensor value, Tensor out);

  /** IoU of every pair: boxes1 [N,4], boxes2 [M,4] (xyxy) → out [N,M]. */
  void boxIou(Tensor boxes1, Tensor boxes2, Tensor out);

  /**
   * out (contiguous, row-major over {@code shape}) = in[inOffset + Σ idx_k · strides_k], offsets and
   * strides in elements; any dtype. Serves permute and narrow. At most 8 dimensions.
   */
  void stridedCopy(Tensor in, long inOffset, long[] shape, long[] strides, Tensor out);
}
