package io.detseg.ops;

import io.detseg.backend.BoxKernels;
import io.detseg.tensor.DType;
import io.detseg.tensor.Tensor;

/**
 * torchvision.ops box utilities: box_area, generalized_box_iou, clip_boxes_to_image,
 * remove_small_boxes and box_convert, with the backward of each differentiable one. Boxes are float32;
 * outputs go to the inputs' device. Semantics and odd cases: docs/kernels/boxes.md.
 */
public final class Boxes {
  private Boxes() {}

  /** torchvision.ops.box_area(boxes [N,4] xyxy) → [N] = (x2 - x1) * (y2 - y1) (negative for x2 < x1). */
  public static Tensor boxArea(Tensor boxes) {
    BoxChecks.boxes("box_area", "boxes", boxes);
    Tensor out = Tensor.empty(boxes.device(), DType.FLOAT32, boxes.size(0));
    if (out.numel() > 0) {
      boxes.backend().boxes().boxArea(boxes, out);
    }
    return out;
  }

  /** Gradient of box_area: grad_output [N] → [N,4]. */
  public static Tensor boxAreaBackward(Tensor gradOutput, Tensor boxes) {
    String op = "box_area_backward";
    BoxChecks.boxes(op, "boxes", boxes);
    Checks.dtype(op, "grad_output", gradOutput, DType.FLOAT32);
    Checks.sameDevice(op, "grad_output", gradOutput, "boxes", boxes);
    if (gradOutput.dim() != 1 || gradOutput.size(0) != boxes.size(0)) {
      throw BoxChecks.fail(op, "grad_output", "shape [" + boxes.size(0) + "]",
          java.util.Arrays.toString(gradOutput.shape()));
    }
    Tensor out = Tensor.empty(boxes.device(), DType.FLOAT32, boxes.shape());
    if (out.numel() > 0) {
      boxes.backend().boxes().boxAreaBackward(gradOutput, boxes, out);
    }
    return out;
  }

  /** torchvision.ops.generalized_box_iou(boxes1 [N,4], boxes2 [M,4]) → [N,M]. */
  public static Tensor generalizedBoxIou(Tensor boxes1, Tensor boxes2) {
    String op = "generalized_box_iou";
    BoxChecks.boxes(op, "boxes1", boxes1);
    BoxChecks.boxes(op, "boxes2", boxes2);
    Checks.sameDevice(op, "boxes2", boxes2, "boxes1", boxes1);
    Tensor out = Tensor.empty(boxes1.device(), DType.FLOAT32, boxes1.size(0), boxes2.size(0));
    if (out.numel() > 0) {
      boxes1.backend().boxes().generalizedBoxIou(boxes1, boxes2, out);
    }
    return out;
  }

  /**
   * Gradient of generalized_box_iou: grad_output [N,M] → {grad_boxes1 [N,4], grad_boxes2 [M,4]}, with
   * torch autograd's rules (ties of min/max split the gradient in half; clamp(min=0) passes at 0).
   */
  public static Tensor[] generalizedBoxIouBackward(Tensor gradOutput, Tensor boxes1, Tensor boxes2) {
    String op = "generalized_box_iou_backward";
    BoxChecks.boxes(op, "boxes1", boxes1);
    BoxChecks.boxes(op, "boxes2", boxes2);
    Checks.sameDevice(op, "boxes2", boxes2, "boxes1", boxes1);
    Checks.dtype(op, "grad_output", gradOutput, DType.FLOAT32);
    Checks.sameDevice(op, "grad_output", gradOutput, "boxes1", boxes1);
    long n = boxes1.size(0);
    long m = boxes2.size(0);
    if (gradOutput.dim() != 2 || gradOutput.size(0) != n || gradOutput.size(1) != m) {
      throw BoxChecks.fail(op, "grad_output", "shape [" + n + ", " + m + "]",
          java.util.Arrays.toString(gradOutput.shape()));
    }
    Tensor g1 = Tensor.empty(boxes1.device(), DType.FLOAT32, n, 4);
    Tensor g2 = Tensor.empty(boxes1.device(), DType.FLOAT32, m, 4);
    if (n > 0 || m > 0) {
      boxes1.backend().boxes().generalizedBoxIouBackward(gradOutput, boxes1, boxes2, g1, g2);
    }
    return new Tensor[] {g1, g2};
  }

  /**
   * torchvision.ops.clip_boxes_to_image(boxes [..., 4], size=(height, width)): x clamped to [0, width],
   * y to [0, height]; NaN stays NaN.
   */
  public static Tensor clipBoxesToImage(Tensor boxes, int height, int width) {
    String op = "clip_boxes_to_image";
    BoxChecks.boxesAnyShape(op, "boxes", boxes);
    BoxChecks.nonNegative(op, "size[0] (height)", height);
    BoxChecks.nonNegative(op, "size[1] (width)", width);
    Tensor out = Tensor.empty(boxes.device(), DType.FLOAT32, boxes.shape());
    if (out.numel() > 0) {
      boxes.backend().boxes().clipBoxes(boxes, height, width, out);
    }
    return out;
  }

  /** Gradient of clip_boxes_to_image: passes where 0 <= coordinate <= limit (torch's clamp backward). */
  public static Tensor clipBoxesToImageBackward(Tensor gradOutput, Tensor boxes, int height, int width) {
    String op = "clip_boxes_to_image_backward";
    BoxChecks.boxesAnyShape(op, "boxes", boxes);
    Checks.dtype(op, "grad_output", gradOutput, DType.FLOAT32);
    BoxChecks.like(op, "grad_output", gradOutput, "boxes", boxes);
    BoxChecks.nonNegative(op, "size[0] (height)", height);
    BoxChecks.nonNegative(op, "size[1] (width)", width);
    Tensor out = Tensor.empty(boxes.device(), DType.FLOAT32, boxes.shape());
    if (out.numel() > 0) {
      boxes.backend().boxes().clipBoxesBackward(gradOutput, boxes, height, width, out);
    }
    return out;
  }

  /**
   * torchvision.ops.remove_small_boxes(boxes [N,4], min_size) → int32 [K]: ascending indices of the
   * boxes whose width and height are both >= min_size (a NaN side removes the box).
   */
  public static Tensor removeSmallBoxes(Tensor boxes, float minSize) {
    BoxChecks.boxes("remove_small_boxes", "boxes", boxes);
    return boxes.backend().boxes().removeSmallBoxes(boxes, minSize);
  }

  /** torchvision.ops.box_convert(boxes [..., 4], in_fmt, out_fmt) among "xyxy", "xywh", "cxcywh". */
  public static Tensor boxConvert(Tensor boxes, String inFmt, String outFmt) {
    String op = "box_convert";
    BoxChecks.boxesAnyShape(op, "boxes", boxes);
    int in = format(op, "in_fmt", inFmt);
    int o = format(op, "out_fmt", outFmt);
    Tensor out = Tensor.empty(boxes.device(), DType.FLOAT32, boxes.shape());
    if (out.numel() > 0) {
      boxes.backend().boxes().boxConvert(boxes, in, o, out);
    }
    return out;
  }

  /** Gradient of box_convert(in_fmt → out_fmt): grad_output [..., 4] → gradient of the input boxes. */
  public static Tensor boxConvertBackward(Tensor gradOutput, String inFmt, String outFmt) {
    String op = "box_convert_backward";
    BoxChecks.boxesAnyShape(op, "grad_output", gradOutput);
    int in = format(op, "in_fmt", inFmt);
    int o = format(op, "out_fmt", outFmt);
    Tensor out = Tensor.empty(gradOutput.device(), DType.FLOAT32, gradOutput.shape());
    if (out.numel() > 0) {
      gradOutput.backend().boxes().boxConvertBackward(gradOutput, in, o, out);
    }
    return out;
  }

  static int format(String op, String arg, String fmt) {
    if (fmt != null) {
      switch (fmt) {
        case "xyxy":
          return BoxKernels.FMT_XYXY;
        case "xywh":
          return BoxKernels.FMT_XYWH;
        case "cxcywh":
          return BoxKernels.FMT_CXCYWH;
        default:
          break;
      }
    }
    throw BoxChecks.fail(op, arg, "one of 'xyxy', 'xywh', 'cxcywh'", fmt == null ? "null" : "'" + fmt + "'");
  }
}
