package io.detseg.ops;

import io.detseg.tensor.DType;
import io.detseg.tensor.Shapes;
import io.detseg.tensor.Tensor;
import java.util.Locale;

/**
 * Non-maximum suppression, named after torchvision.ops (nms, batched_nms) plus Soft-NMS and ONNX
 * NonMaxSuppression. Every function runs on its inputs' device (CPU, CUDA, CUDA_SIM) and returns new
 * tensors there. Full semantics: docs/kernels/nms.md. In short:
 *
 * <ul>
 *   <li>candidates are visited by decreasing score, ties by increasing index (torchvision's CPU order);
 *   <li>a kept box suppresses a later one when IoU &gt; iou_threshold (strictly greater; the double
 *       threshold compares exactly as torchvision's {@code float > double});
 *   <li>NaN scores are dropped before sorting (never kept, never suppress) — torchvision instead sorts
 *       NaN first and keeps it; +inf sorts first and -inf last as ordinary values;
 *   <li>{@code scoreThreshold}: only scores &gt; it are candidates; {@link #NO_SCORE_THRESHOLD} (-inf)
 *       turns the filter off (-inf scores stay candidates); {@code maxOutputBoxes}: keep at most that
 *       many (the first ones in score order), -1 for no cap.
 * </ul>
 */
public final class Nms {
  /** The scoreThreshold that filters nothing (also keeps -inf scores). */
  public static final double NO_SCORE_THRESHOLD = Double.NEGATIVE_INFINITY;
  /** maxOutputBoxes meaning "no cap". */
  public static final long NO_LIMIT = -1;

  private Nms() {}

  /** The result of Soft-NMS: selected indices (int32 [K]) and their scores at selection (float32 [K]). */
  public record SoftNmsResult(Tensor keep, Tensor scores) implements AutoCloseable {
    @Override
    public void close() {
      keep.close();
      scores.close();
    }
  }

  /** Soft-NMS score decay (Bodla et al. 2017). */
  public enum SoftNmsMethod {
    /** score *= 1 - IoU when IoU &gt; iou_threshold. */
    LINEAR,
    /** score *= exp(-IoU^2 / sigma). */
    GAUSSIAN;

    public static SoftNmsMethod parse(String op, String text) {
      if (text != null) {
        switch (text.trim().toLowerCase(Locale.ROOT)) {
          case "linear":
            return LINEAR;
          case "gaussian":
            return GAUSSIAN;
          default:
            break;
        }
      }
      throw new IllegalArgumentException(op + ": argument 'method': expected 'linear' or 'gaussian' but got "
          + (text == null ? "null" : "'" + text + "'"));
    }
  }

  /** torchvision.ops.nms(boxes [N,4] xyxy, scores [N], iou_threshold) → int32 [K] kept indices. */
  public static Tensor nms(Tensor boxes, Tensor scores, double iouThreshold) {
    return nms(boxes, scores, iouThreshold, NO_SCORE_THRESHOLD, NO_LIMIT);
  }

  /** nms with a score threshold (scores &gt; it are candidates) and a cap on the kept boxes (-1: none). */
  public static Tensor nms(Tensor boxes, Tensor scores, double iouThreshold, double scoreThreshold,
      long maxOutputBoxes) {
    return greedy("nms", boxes, scores, null, iouThreshold, scoreThreshold, maxOutputBoxes);
  }

  /** torchvision.ops.batched_nms: suppression only between boxes of the same idxs (int32 [N]) value. */
  public static Tensor batchedNms(Tensor boxes, Tensor scores, Tensor idxs, double iouThreshold) {
    return batchedNms(boxes, scores, idxs, iouThreshold, NO_SCORE_THRESHOLD, NO_LIMIT);
  }

  /** batched_nms with a score threshold and a cap on the total kept boxes (-1: none). */
  public static Tensor batchedNms(Tensor boxes, Tensor scores, Tensor idxs, double iouThreshold,
      double scoreThreshold, long maxOutputBoxes) {
    Checks.dtype("batched_nms", "idxs", idxs, DType.INT32);
    return greedy("batched_nms", boxes, scores, idxs, iouThreshold, scoreThreshold, maxOutputBoxes);
  }

  /**
   * Soft-NMS (Bodla et al. 2017). Candidates: scores &gt;= scoreThreshold (NaN never). Each step selects
   * the candidate with the highest current score (ties: lowest index), outputs it with that score, then
   * multiplies every other candidate's score by the method's weight of its IoU with the selected box and
   * drops those that fall below scoreThreshold. Returns the selections in order.
   */
  public static SoftNmsResult softNms(Tensor boxes, Tensor scores, double sigma, double iouThreshold,
      double scoreThreshold, SoftNmsMethod method) {
    final String op = "soft_nms";
    boxesAndScores(op, boxes, scores);
    if (!(sigma > 0) || Double.isInfinite(sigma) || (float) sigma == 0f) {
      throw new IllegalArgumentException(op + ": argument 'sigma': expected a finite number > 0 but got " + sigma);
    }
    notNaN(op, "score_threshold", scoreThreshold);
    if (method == null) {
      throw new IllegalArgumentException(op + ": argument 'method': expected LINEAR or GAUSSIAN but got null");
    }
    long n = boxes.size(0);
    if (n == 0) {
      return new SoftNmsResult(Tensor.empty(boxes.device(), DType.INT32, 0),
          Tensor.empty(boxes.device(), DType.FLOAT32, 0));
    }
    Tensor[] r = boxes.backend().nms().softNms(boxes, scores, (float) sigma, floatBelow(iouThreshold),
        floatAbove(scoreThreshold), method == SoftNmsMethod.LINEAR ? 0 : 1);
    return new SoftNmsResult(r[0], r[1]);
  }

  /**
   * ONNX NonMaxSuppression (opset 10/11): boxes [B,N,4] ([y1,x1,y2,x2] corners when centerPointBox is 0,
   * [x_center,y_center,width,height] when 1), scores [B,C,N]. For each batch and class, greedy NMS over the
   * boxes with score &gt; scoreThreshold ({@link #NO_SCORE_THRESHOLD}: all non-NaN), at most
   * maxOutputBoxesPerClass kept (0: none, ONNX's default). Returns int32 [K,3] (batch, class, box) triples
   * in batch, class, selection order (ONNX uses int64; detseg tensors are int32).
   */
  public static Tensor onnxNonMaxSuppression(Tensor boxes, Tensor scores, int centerPointBox,
      long maxOutputBoxesPerClass, float iouThreshold, float scoreThreshold) {
    final String op = "onnx_non_max_suppression";
    Checks.dtype(op, "boxes", boxes, DType.FLOAT32);
    Checks.dtype(op, "scores", scores, DType.FLOAT32);
    Checks.sameDevice(op, "scores", scores, "boxes", boxes);
    if (boxes.dim() != 3 || boxes.size(2) != 4) {
      throw new IllegalArgumentException(op + ": argument 'boxes': expected shape [num_batches, spatial_dimension, 4]"
          + " but got " + Shapes.format(boxes.shape()));
    }
    if (scores.dim() != 3 || scores.size(0) != boxes.size(0) || scores.size(2) != boxes.size(1)) {
      throw new IllegalArgumentException(op + ": argument 'scores': expected shape [" + boxes.size(0)
          + ", num_classes, " + boxes.size(1) + "] (batches and boxes of 'boxes') but got "
          + Shapes.format(scores.shape()));
    }
    if (centerPointBox != 0 && centerPointBox != 1) {
      throw new IllegalArgumentException(op + ": argument 'center_point_box': expected 0 or 1 but got "
          + centerPointBox);
    }
    if (maxOutputBoxesPerClass < 0) {
      throw new IllegalArgumentException(op + ": argument 'max_output_boxes_per_class': expected >= 0 but got "
          + maxOutputBoxesPerClass);
    }
    if (!(iouThreshold >= 0f && iouThreshold <= 1f)) {
      throw new IllegalArgumentException(op + ": argument 'iou_threshold': expected a value in [0, 1] but got "
          + iouThreshold);
    }
    notNaN(op, "score_threshold", scoreThreshold);
    Checks.atMostInt(op, "num_batches * num_classes * spatial_dimension", scores.numel());
    long k = Math.min(boxes.size(1), maxOutputBoxesPerClass);
    if (scores.numel() == 0 || k == 0) {
      return Tensor.empty(boxes.device(), DType.INT32, 0, 3);
    }
    boolean use = scoreThreshold != Float.NEGATIVE_INFINITY;
    return boxes.backend().nms().onnxNonMaxSuppression(boxes, scores, centerPointBox, maxOutputBoxesPerClass,
        iouThreshold, use, scoreThreshold);
  }

  // ---- shared checks -------------------------------------------------------------------------------

  private static Tensor greedy(String op, Tensor boxes, Tensor scores, Tensor idxs, double iouThreshold,
      double scoreThreshold, long maxOutputBoxes) {
    boxesAndScores(op, boxes, scores);
    if (idxs != null) {
      Checks.sameDevice(op, "idxs", idxs, "boxes", boxes);
      if (idxs.dim() != 1 || idxs.size(0) != boxes.size(0)) {
        throw new IllegalArgumentException(op + ": argument 'idxs': expected shape [" + boxes.size(0)
            + "] (one class id per box) but got " + Shapes.format(idxs.shape()));
      }
    }
    notNaN(op, "score_threshold", scoreThreshold);
    if (maxOutputBoxes < -1) {
      throw new IllegalArgumentException(op + ": argument 'max_output_boxes': expected -1 (no limit) or a count"
          + " >= 0 but got " + maxOutputBoxes);
    }
    if (boxes.size(0) == 0 || maxOutputBoxes == 0) {
      return Tensor.empty(boxes.device(), DType.INT32, 0);
    }
    boolean use = scoreThreshold != Double.NEGATIVE_INFINITY;
    return boxes.backend().nms().nms(boxes, scores, idxs, floatBelow(iouThreshold), use,
        use ? floatBelow(scoreThreshold) : Float.NEGATIVE_INFINITY, maxOutputBoxes);
  }

  private static void boxesAndScores(String op, Tensor boxes, Tensor scores) {
    Checks.dtype(op, "boxes", boxes, DType.FLOAT32);
    Checks.dtype(op, "scores", scores, DType.FLOAT32);
    Checks.matrixWithColumns(op, "boxes", boxes, 4);
    Checks.sameDevice(op, "scores", scores, "boxes", boxes);
    if (scores.dim() != 1 || scores.size(0) != boxes.size(0)) {
      throw new IllegalArgumentException(op + ": argument 'scores': expected shape [" + boxes.size(0)
          + "] (one score per box) but got " + Shapes.format(scores.shape()));
    }
    Checks.atMostInt(op, "boxes.size(0)", boxes.size(0));
  }

  private static void notNaN(String op, String arg, double v) {
    if (Double.isNaN(v)) {
      throw new IllegalArgumentException(op + ": argument '" + arg + "': expected a number (-inf for none) but got NaN");
    }
  }

  /**
   * The float t' with (x &gt; t') == (x &gt; t) for every float x, t a double: t itself when it is a float,
   * else the largest float below it. torchvision compares its float IoU with a double threshold.
   */
  static float floatBelow(double t) {
    float f = (float) t;
    return f > t ? Math.nextDown(f) : f;
  }

  /** The float t' with (x &gt;= t') == (x &gt;= t) for every float x: the smallest float >= t. */
  static float floatAbove(double t) {
    float f = (float) t;
    return f < t ? Math.nextUp(f) : f;
  }
}
