package io.detseg.ops;

import io.detseg.tensor.DType;
import io.detseg.tensor.Tensor;

/**
 * The functional API, named after PyTorch's: each op checks its arguments, allocates its output on
 * the inputs' device and runs there. Backward functions take the gradient of the output and return
 * the gradient of each input, as PyTorch's autograd formulas do.
 */
public final class Ops {
  private Ops() {}

  /** torch.add(input, other) for same-shape float32 tensors. */
  public static Tensor add(Tensor input, Tensor other) {
    binary("add", input, other);
    Tensor out = Tensor.empty(input.device(), DType.FLOAT32, input.shape());
    if (out.numel() > 0) {
      input.backend().basic().add(input, other, out);
    }
    return out;
  }

  /** torch.mul(input, other) for same-shape float32 tensors. */
  public static Tensor mul(Tensor input, Tensor other) {
    binary("mul", input, other);
    Tensor out = Tensor.empty(input.device(), DType.FLOAT32, input.shape());
    if (out.numel() > 0) {
      input.backend().basic().mul(input, other, out);
    }
    return out;
  }

  /** torch.relu(input); NaN stays NaN. */
  public static Tensor relu(Tensor input) {
    Checks.dtype("relu", "input", input, DType.FLOAT32);
    Tensor out = Tensor.empty(input.device(), DType.FLOAT32, input.shape());
    if (out.numel() > 0) {
      input.backend().basic().relu(input, out);
    }
    return out;
  }

  /** Gradient of relu as PyTorch computes it: 0 where input <= 0, else gradOutput (NaN passes). */
  public static Tensor reluBackward(Tensor gradOutput, Tensor input) {
    binary("relu_backward", gradOutput, input);
    Tensor out = Tensor.empty(input.device(), DType.FLOAT32, input.shape());
    if (out.numel() > 0) {
      input.backend().basic().reluBackward(gradOutput, input, out);
    }
    return out;
  }

  /** torch.sum(input): a 0-d tensor; 0 for an empty input. */
  public static Tensor sum(Tensor input) {
    Checks.dtype("sum", "input", input, DType.FLOAT32);
    Tensor out = Tensor.empty(input.device(), DType.FLOAT32);
    if (input.numel() == 0) {
      input.backend().fillBytes(out.address(), (byte) 0, 4);
    } else {
      input.backend().basic().sum(input, out);
    }
    return out;
  }

  /** Gradient of sum: gradOutput (one element) broadcast to input's shape. */
  public static Tensor sumBackward(Tensor gradOutput, Tensor input) {
    Checks.dtype("sum_backward", "grad_output", gradOutput, DType.FLOAT32);
    Checks.oneElement("sum_backward", "grad_output", gradOutput);
    Checks.open("sum_backward", "input", input);
    Checks.sameDevice("sum_backward", "grad_output", gradOutput, "input", input);
    Tensor out = Tensor.empty(input.device(), DType.FLOAT32, input.shape());
    if (out.numel() > 0) {
      input.backend().basic().broadcastScalar(gradOutput, out);
    }
    return out;
  }

  /** torch.max(input) over all elements: a 0-d tensor, NaN if any element is NaN. */
  public static Tensor max(Tensor input) {
    Checks.dtype("max", "input", input, DType.FLOAT32);
    Checks.nonEmpty("max", "input", input);
    Tensor out = Tensor.empty(input.device(), DType.FLOAT32);
    input.backend().basic().max(input, out);
    return out;
  }

  /** Gradient of max: split evenly among the elements equal to the result (PyTorch's rule). */
  public static Tensor maxBackward(Tensor gradOutput, Tensor input, Tensor result) {
    Checks.dtype("max_backward", "grad_output", gradOutput, DType.FLOAT32);
    Checks.oneElement("max_backward", "grad_output", gradOutput);
    Checks.dtype("max_backward", "input", input, DType.FLOAT32);
    Checks.nonEmpty("max_backward", "input", input);
    Checks.dtype("max_backward", "result", result, DType.FLOAT32);
    Checks.oneElement("max_backward", "result", result);
    Checks.sameDevice("max_backward", "grad_output", gradOutput, "input", input);
    Checks.sameDevice("max_backward", "result", result, "input", input);
    Tensor out = Tensor.empty(input.device(), DType.FLOAT32, input.shape());
    input.backend().basic().maxBackward(gradOutput, input, result, out);
    return out;
  }

  /** torchvision.ops.box_iou(boxes1 [N,4], boxes2 [M,4]) → [N,M], boxes as (x1, y1, x2, y2). */
  public static Tensor boxIou(Tensor boxes1, Tensor boxes2) {
    Checks.dtype("box_iou", "boxes1", boxes1, DType.FLOAT32);
    Checks.dtype("box_iou", "boxes2", boxes2, DType.FLOAT32);
    Checks.matrixWithColumns("box_iou", "boxes1", boxes1, 4);
    Checks.matrixWithColumns("box_iou", "boxes2", boxes2, 4);
    Checks.sameDevice("box_iou", "boxes2", boxes2, "boxes1", boxes1);
    Checks.atMostInt("box_iou", "boxes1.size(0)", boxes1.size(0));
    Checks.atMostInt("box_iou", "boxes2.size(0)", boxes2.size(0));
    Tensor out = Tensor.empty(boxes1.device(), DType.FLOAT32, boxes1.size(0), boxes2.size(0));
    if (out.numel() > 0) {
      boxes1.backend().basic().boxIou(boxes1, boxes2, out);
    }
    return out;
  }

  private static void binary(String op, Tensor a, Tensor b) {
    String aName = op.endsWith("_backward") ? "grad_output" : "input";
    String bName = op.endsWith("_backward") ? "input" : "other";
    Checks.dtype(op, aName, a, DType.FLOAT32);
    Checks.dtype(op, bName, b, DType.FLOAT32);
    Checks.sameDevice(op, bName, b, aName, a);
    Checks.sameShape(op, bName, b, aName, a);
  }
}
