package io.detseg.ops;

import io.detseg.backend.BoxKernels;
import io.detseg.tensor.DType;
import io.detseg.tensor.Shapes;
import io.detseg.tensor.Tensor;

/**
 * Matching and sampling for detector training: torchvision's Matcher and SSDMatcher over an IoU
 * matrix, the BalancedPositiveNegativeSampler with detseg's seeded keys, and SSD hard negative
 * mining. Semantics, the RNG and tie rules: docs/kernels/boxes.md.
 */
public final class Matching {
  private Matching() {}

  /** Matcher.BELOW_LOW_THRESHOLD. */
  public static final int BELOW_LOW_THRESHOLD = -1;
  /** Matcher.BETWEEN_THRESHOLDS. */
  public static final int BETWEEN_THRESHOLDS = -2;

  /**
   * Matcher(high_threshold, low_threshold, allow_low_quality_matches)(match_quality_matrix [M, N]) →
   * int32 [N]: each prediction's best gt (torch.max over dim 0: a NaN wins, ties to the first gt),
   * -1 below low_threshold, -2 in [low, high). With allow_low_quality_matches a prediction that is
   * some gt's best (ties included) keeps its best gt. M == 0 (no gt) gives -1 everywhere
   * (torchvision raises; its callers label such images background).
   */
  public static Tensor matchBoxes(Tensor matchQualityMatrix, float highThreshold, float lowThreshold,
      boolean allowLowQualityMatches) {
    String op = "match_boxes";
    quality(op, matchQualityMatrix);
    if (Float.isNaN(highThreshold) || Float.isNaN(lowThreshold) || lowThreshold > highThreshold) {
      throw BoxChecks.fail(op, "low_threshold", "low_threshold <= high_threshold (" + highThreshold + ")",
          lowThreshold);
    }
    return match(matchQualityMatrix, highThreshold, lowThreshold,
        allowLowQualityMatches ? BoxKernels.MATCH_LOW_QUALITY : BoxKernels.MATCH_PLAIN);
  }

  /**
   * SSDMatcher(threshold)(match_quality_matrix [M, N]) → int32 [N]: Matcher(threshold, threshold),
   * then each gt's best prediction (first on ties) is matched to that gt; when several gts pick the
   * same prediction the largest gt index wins (torch's CPU index_put order).
   */
  public static Tensor ssdMatchBoxes(Tensor matchQualityMatrix, float threshold) {
    String op = "ssd_match_boxes";
    quality(op, matchQualityMatrix);
    if (Float.isNaN(threshold)) {
      throw BoxChecks.fail(op, "threshold", "a number", threshold);
    }
    return match(matchQualityMatrix, threshold, threshold, BoxKernels.MATCH_SSD);
  }

  private static Tensor match(Tensor q, float high, float low, int mode) {
    Tensor out = Tensor.empty(q.device(), DType.INT32, q.size(1));
    if (out.numel() > 0) {
      q.backend().boxes().matchBoxes(q, high, low, mode, out);
    }
    return out;
  }

  /**
   * BalancedPositiveNegativeSampler(batch_size_per_image, positive_fraction) over labels
   * (int32 [N] for one image or [B, N], one row per image; >= 1 positive, 0 negative, < 0 ignored) →
   * {pos_mask, neg_mask} uint8 of the same shape. Per row num_pos = min(#pos,
   * int(batch_size_per_image · positive_fraction)), num_neg = min(#neg, batch_size_per_image − num_pos);
   * the chosen ones are a uniform random subset drawn with detseg's seeded keys (row b uses stream b of
   * the seed), identical on every backend.
   */
  public static Tensor[] samplePosNeg(Tensor matchedIdxs, int batchSizePerImage, double positiveFraction,
      long seed) {
    String op = "sample_pos_neg";
    Checks.dtype(op, "matched_idxs", matchedIdxs, DType.INT32);
    rows(op, "matched_idxs", matchedIdxs);
    BoxChecks.nonNegative(op, "batch_size_per_image", batchSizePerImage);
    if (!(positiveFraction >= 0 && positiveFraction <= 1)) {
      throw BoxChecks.fail(op, "positive_fraction", "a value in [0, 1]", positiveFraction);
    }
    long maxPos = (long) (batchSizePerImage * positiveFraction); // Python's int(): truncation
    Tensor pos = Tensor.empty(matchedIdxs.device(), DType.UINT8, matchedIdxs.shape());
    Tensor neg = Tensor.empty(matchedIdxs.device(), DType.UINT8, matchedIdxs.shape());
    if (pos.numel() > 0) {
      matchedIdxs.backend().boxes().samplePosNeg(matchedIdxs, batchSizePerImage, maxPos, seed, pos, neg);
    }
    return new Tensor[] {pos, neg};
  }

  /**
   * SSD hard negative mining over loss (float32 [N] or [B, N], e.g. per-anchor classification loss)
   * and labels (int32, same shape; > 0 positive, 0 negative, < 0 ignored): per row keep all positives
   * and the k = min(#neg, ceil(neg_pos_ratio · #pos)) negatives of largest loss (NaN largest, ties to
   * the smaller index). Returns {mask (positives ∪ kept negatives), neg_mask (kept negatives)} uint8.
   */
  public static Tensor[] hardNegativeMining(Tensor loss, Tensor labels, float negPosRatio) {
    String op = "hard_negative_mining";
    Checks.dtype(op, "loss", loss, DType.FLOAT32);
    Checks.dtype(op, "labels", labels, DType.INT32);
    BoxChecks.like(op, "labels", labels, "loss", loss);
    rows(op, "loss", loss);
    if (!(negPosRatio >= 0) || !Float.isFinite(negPosRatio)) {
      throw BoxChecks.fail(op, "neg_pos_ratio", "a finite number >= 0", negPosRatio);
    }
    Tensor mask = Tensor.empty(loss.device(), DType.UINT8, loss.shape());
    Tensor neg = Tensor.empty(loss.device(), DType.UINT8, loss.shape());
    if (mask.numel() > 0) {
      loss.backend().boxes().hardNegativeMining(loss, labels, negPosRatio, mask, neg);
    }
    return new Tensor[] {mask, neg};
  }

  private static void quality(String op, Tensor q) {
    Checks.dtype(op, "match_quality_matrix", q, DType.FLOAT32);
    if (q.dim() != 2) {
      throw BoxChecks.fail(op, "match_quality_matrix", "shape [M gt, N predictions]", Shapes.format(q.shape()));
    }
    Checks.atMostInt(op, "match_quality_matrix.size(0)", q.size(0));
    Checks.atMostInt(op, "match_quality_matrix.size(1)", q.size(1));
  }

  /** [N] or [B, N] with N < 2^31 (indices and per-row counts are 32-bit). */
  private static void rows(String op, String arg, Tensor t) {
    if (t.dim() != 1 && t.dim() != 2) {
      throw BoxChecks.fail(op, arg, "shape [N] or [B, N]", Shapes.format(t.shape()));
    }
    Checks.atMostInt(op, arg + ".size(-1)", t.size(t.dim() - 1));
  }
}
