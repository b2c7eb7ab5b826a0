package io.detseg.backend;

import io.detseg.tensor.Tensor;

/**
 * Non-maximum suppression: greedy, batched, soft, ONNX NonMaxSuppression (detection-ops issue), on one
 * backend. Arguments are checked by io.detseg.ops.Nms before they get here (float thresholds already
 * rounded so that a float comparison equals the double one). The number of kept boxes depends on the
 * data, so these methods allocate their outputs on this backend's device. Semantics:
 * docs/kernels/nms.md.
 */
public interface NmsKernels {
  /**
   * Greedy NMS over boxes [N,4] (xyxy) and scores [N]: kept indices as int32 [K] in decreasing score
   * order (ties by increasing index). idxs (int32 [N] class ids) or null for one class;
   * maxOutput < 0 means no cap. N >= 1.
   */
  Tensor nms(Tensor boxes, Tensor scores, Tensor idxs, float iouThreshold, boolean useScoreThreshold,
      float scoreThreshold, long maxOutput);

  /**
   * ONNX NonMaxSuppression: boxes [B,N,4], scores [B,C,N]; int32 [K,3] (batch, class, box) triples.
   * B, C, N >= 1 and maxPerClass >= 1.
   */
  Tensor onnxNonMaxSuppression(Tensor boxes, Tensor scores, int centerPointBox, long maxPerClass,
      float iouThreshold, boolean useScoreThreshold, float scoreThreshold);

  /**
   * Soft-NMS over boxes [N,4] and scores [N]; method 0 linear, 1 gaussian. Returns {keep int32 [K],
   * scores float32 [K]}. N >= 1.
   */
  Tensor[] softNms(Tensor boxes, Tensor scores, float sigma, float iouThreshold, float scoreThreshold, int method);
}
