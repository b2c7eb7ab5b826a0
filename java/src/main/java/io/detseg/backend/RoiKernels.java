package io.detseg.backend;

import io.detseg.tensor.Tensor;

/**
 * RoIPool and RoIAlign, forward and backward, single and multi-level (detection-ops issue), on one
 * backend. Arguments are checked by io.detseg.ops.Roi before they get here: float32 contiguous tensors
 * on this backend's device, batch indices already validated.
 *
 * <p>RoIs come as {@code boxes} [K, 5] (torchvision: batch index as float, x1, y1, x2, y2) with
 * {@code batchIndices == null}, or as {@code boxes} [K, 4] with {@code batchIndices} int32 [K] (ONNX).
 * When {@code levels} (int32 [K]) is given only RoIs with {@code levels[k] == level} are processed: a
 * forward leaves the other RoIs' outputs untouched, a backward ignores them.
 */
public interface RoiKernels {
  /** output [K, C, PH, PW] of the selected RoIs; input [N, C, H, W]. */
  void roiAlignForward(Tensor input, Tensor boxes, Tensor batchIndices, Tensor levels, int level, int pooledH,
      int pooledW, float spatialScale, int samplingRatio, boolean aligned, Tensor output);

  /**
   * Writes every element of gradInput [N, C, H, W]: the sum of the selected RoIs' shares (zero elsewhere).
   * {@code deterministic} selects the CUDA kernel (gather, bitwise reproducible) or the atomic scatter;
   * the CPU is always deterministic.
   */
  void roiAlignBackward(Tensor gradOutput, Tensor boxes, Tensor batchIndices, Tensor levels, int level, int pooledH,
      int pooledW, float spatialScale, int samplingRatio, boolean aligned, boolean deterministic, Tensor gradInput);

  /** output [K, C, PH, PW] and argmax (int32, plane index h * W + w, -1 for empty bins). */
  void roiPoolForward(Tensor input, Tensor boxes, Tensor batchIndices, int pooledH, int pooledW, float spatialScale,
      Tensor output, Tensor argmax);

  /** Writes every element of gradInput; argmax entries are in [-1, H*W) (checked by the caller). */
  void roiPoolBackward(Tensor gradOutput, Tensor boxes, Tensor batchIndices, Tensor argmax, float spatialScale,
      boolean deterministic, Tensor gradInput);

  /** levels[k] = torchvision LevelMapper level of box k minus kMin, or -1 when the level is NaN. */
  void fpnLevels(Tensor boxes, Tensor batchIndices, int kMin, int kMax, float canonicalScale, float canonicalLevel,
      float eps, Tensor levels);

  /** The first row of boxes [K, 5] whose batch index truncates outside [0, numImages), or -1. */
  long firstInvalidBatchIndex(Tensor boxes, int numImages);

  /** The first element of an int32 tensor outside [lo, hi), or -1. */
  long firstOutOfRange(Tensor values, int lo, int hi);
}
