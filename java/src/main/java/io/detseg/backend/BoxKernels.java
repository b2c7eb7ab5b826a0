package io.detseg.backend;

import io.detseg.tensor.Tensor;

/**
 * Box ops, anchors, box coding, matching and sampling (detection-ops issue), on one backend. Arguments
 * are checked by io.detseg.ops (Boxes, Anchors, BoxCoding, Matching) before they get here: tensors are
 * contiguous, on this backend's device, of the documented shapes and dtypes, and outputs are
 * preallocated. Semantics: docs/kernels/boxes.md.
 */
public interface BoxKernels {
  /** Box formats of box_convert, as the kernels number them. */
  int FMT_XYXY = 0;
  int FMT_XYWH = 1;
  int FMT_CXCYWH = 2;

  /** Matcher modes: torchvision Matcher, with allow_low_quality_matches, SSDMatcher. */
  int MATCH_PLAIN = 0;
  int MATCH_LOW_QUALITY = 1;
  int MATCH_SSD = 2;

  /** boxes [N,4] → out [N]. */
  void boxArea(Tensor boxes, Tensor out);

  /** grad [N], boxes [N,4] → out [N,4]. */
  void boxAreaBackward(Tensor grad, Tensor boxes, Tensor out);

  /** boxes1 [N,4], boxes2 [M,4] → out [N,M]; N, M fit an int. */
  void generalizedBoxIou(Tensor boxes1, Tensor boxes2, Tensor out);

  /** grad [N,M] → grad1 [N,4], grad2 [M,4]. */
  void generalizedBoxIouBackward(Tensor grad, Tensor boxes1, Tensor boxes2, Tensor grad1, Tensor grad2);

  /** boxes [..., 4] → out of the same shape, x in [0, width], y in [0, height]. */
  void clipBoxes(Tensor boxes, float height, float width, Tensor out);

  void clipBoxesBackward(Tensor grad, Tensor boxes, float height, float width, Tensor out);

  /** boxes [..., 4] → out of the same shape (formats FMT_*). */
  void boxConvert(Tensor boxes, int inFmt, int outFmt, Tensor out);

  void boxConvertBackward(Tensor grad, int inFmt, int outFmt, Tensor out);

  /** boxes [N,4], N fits an int → int32 [K] ascending indices (a new tensor: K is known only here). */
  Tensor removeSmallBoxes(Tensor boxes, float minSize);

  /** One AnchorGenerator level into out [*, 4] from box firstBox on: gridH*gridW*ratios*sizes boxes. */
  void anchorGrid(float[] sizes, float[] ratios, long gridH, long gridW, long strideH, long strideW, Tensor out,
      long firstBox);

  /** One DefaultBoxGenerator level (wh: pairs, clipped if asked) into out from box firstBox on. */
  void ssdDefaultBoxes(float[] wh, long gridH, long gridW, float xf, float yf, float imageW, float imageH, Tensor out,
      long firstBox);

  /** input [B, A*K, H, W], anchors A (w, h) pairs → out [B, A*H*W, K]. */
  void yoloDecode(Tensor input, float[] anchors, float imageH, float imageW, Tensor out);

  /** reference [N,4], proposals [N,4], 4 weights → out [N,4]. */
  void encodeBoxes(Tensor reference, Tensor proposals, float[] weights, Tensor out);

  /** relCodes [N, 4K], boxes [N,4] → out [N, 4K]. */
  void decodeBoxes(Tensor relCodes, Tensor boxes, float[] weights, float clip, Tensor out);

  void encodeBoxesSsd(Tensor reference, Tensor defaults, float v0, float v1, Tensor out);

  void decodeBoxesSsd(Tensor relCodes, Tensor boxes, float v0, float v1, Tensor out);

  /** quality [M, N] (M may be 0), N ≥ 1 → int32 out [N]; mode MATCH_*. */
  void matchBoxes(Tensor quality, float high, float low, int mode, Tensor out);

  /** labels int32 [rows, N] (any shape; the last dim is N) → uint8 masks of the same shape. */
  void samplePosNeg(Tensor labels, long batchSize, long maxPositive, long seed, Tensor posMask, Tensor negMask);

  /** loss float [rows, N], labels int32 of the same shape → uint8 masks of the same shape. */
  void hardNegativeMining(Tensor loss, Tensor labels, float negPosRatio, Tensor mask, Tensor negMask);
}
