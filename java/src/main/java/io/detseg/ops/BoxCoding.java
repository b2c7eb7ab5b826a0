package io.detseg.ops;

import io.detseg.tensor.DType;
import io.detseg.tensor.Shapes;
import io.detseg.tensor.Tensor;

/**
 * Box coding: torchvision's BoxCoder (encode_boxes / decode_single with per-coordinate weights and
 * the clamp of dw, dh) and the SSD paper's variance form. Boxes are xyxy float32. Formulas:
 * kernels/include/detseg/box_coding.cuh; semantics: docs/kernels/boxes.md.
 */
public final class BoxCoding {
  private BoxCoding() {}

  /** torchvision's BoxCoder default bbox_xform_clip, log(1000 / 16), as float32. */
  public static final float DEFAULT_BBOX_XFORM_CLIP = (float) Math.log(1000.0 / 16);

  /**
   * torchvision.models.detection._utils.encode_boxes(reference_boxes [N,4], proposals [N,4], weights):
   * (wx (g_cx - p_cx) / p_w, wy (g_cy - p_cy) / p_h, ww log(g_w / p_w), wh log(g_h / p_h)) → [N,4].
   */
  public static Tensor encodeBoxes(Tensor referenceBoxes, Tensor proposals, float[] weights) {
    String op = "encode_boxes";
    pair(op, referenceBoxes, proposals, "proposals");
    weights(op, weights);
    Tensor out = Tensor.empty(referenceBoxes.device(), DType.FLOAT32, referenceBoxes.size(0), 4);
    if (out.numel() > 0) {
      referenceBoxes.backend().boxes().encodeBoxes(referenceBoxes, proposals, weights, out);
    }
    return out;
  }

  /**
   * BoxCoder(weights, bbox_xform_clip).decode_single(rel_codes [N, 4K], boxes [N, 4]) → [N, 4K]:
   * code k of row i decodes against boxes[i]; dw, dh are clamped at bbox_xform_clip before exp.
   */
  public static Tensor decodeBoxes(Tensor relCodes, Tensor boxes, float[] weights, float bboxXformClip) {
    String op = "decode_boxes";
    codes(op, relCodes, boxes);
    weights(op, weights);
    if (Float.isNaN(bboxXformClip)) {
      throw BoxChecks.fail(op, "bbox_xform_clip", "a number", bboxXformClip);
    }
    Tensor out = Tensor.empty(boxes.device(), DType.FLOAT32, relCodes.shape());
    if (out.numel() > 0) {
      boxes.backend().boxes().decodeBoxes(relCodes, boxes, weights, bboxXformClip, out);
    }
    return out;
  }

  /** SSD variance encode: ((g_c - d_c) / (v0 d_wh), log(g_wh / d_wh) / v1) of reference boxes against default boxes. */
  public static Tensor encodeBoxesSsd(Tensor referenceBoxes, Tensor defaultBoxes, float[] variances) {
    String op = "encode_boxes_ssd";
    pair(op, referenceBoxes, defaultBoxes, "default_boxes");
    variances(op, variances);
    Tensor out = Tensor.empty(referenceBoxes.device(), DType.FLOAT32, referenceBoxes.size(0), 4);
    if (out.numel() > 0) {
      referenceBoxes.backend().boxes().encodeBoxesSsd(referenceBoxes, defaultBoxes, variances[0], variances[1], out);
    }
    return out;
  }

  /** SSD variance decode: c = d_c + t_c v0 d_wh, wh = d_wh exp(t_wh v1) (no clamp), rel_codes [N, 4K]. */
  public static Tensor decodeBoxesSsd(Tensor relCodes, Tensor defaultBoxes, float[] variances) {
    String op = "decode_boxes_ssd";
    codes(op, relCodes, defaultBoxes);
    variances(op, variances);
    Tensor out = Tensor.empty(defaultBoxes.device(), DType.FLOAT32, relCodes.shape());
    if (out.numel() > 0) {
      defaultBoxes.backend().boxes().decodeBoxesSsd(relCodes, defaultBoxes, variances[0], variances[1], out);
    }
    return out;
  }

  private static void pair(String op, Tensor reference, Tensor other, String otherName) {
    BoxChecks.boxes(op, "reference_boxes", reference);
    BoxChecks.boxes(op, otherName, other);
    Checks.sameDevice(op, otherName, other, "reference_boxes", reference);
    Checks.sameShape(op, otherName, other, "reference_boxes", reference);
  }

  private static void codes(String op, Tensor relCodes, Tensor boxes) {
    BoxChecks.boxes(op, "boxes", boxes);
    Checks.dtype(op, "rel_codes", relCodes, DType.FLOAT32);
    Checks.sameDevice(op, "rel_codes", relCodes, "boxes", boxes);
    if (relCodes.dim() != 2 || relCodes.size(0) != boxes.size(0) || relCodes.size(1) % 4 != 0
        || (relCodes.size(1) == 0 && boxes.size(0) > 0)) {
      throw BoxChecks.fail(op, "rel_codes", "shape [" + boxes.size(0) + ", 4*K] (K >= 1, one row per box)",
          Shapes.format(relCodes.shape()));
    }
  }

  private static void weights(String op, float[] weights) {
    BoxChecks.length(op, "weights", weights, 4);
    BoxChecks.allFinite(op, "weights", weights);
  }

  private static void variances(String op, float[] variances) {
    BoxChecks.length(op, "variances", variances, 2);
    BoxChecks.allPositive(op, "variances", variances);
  }
}
