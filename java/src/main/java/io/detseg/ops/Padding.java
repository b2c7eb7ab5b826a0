package io.detseg.ops;

import io.detseg.backend.NnKernels;
import io.detseg.tensor.DType;
import io.detseg.tensor.Shapes;
import io.detseg.tensor.Tensor;
import java.util.Arrays;

/**
 * torch.nn.functional.pad (PyTorch 1.13) of the last one or two dimensions, with its backward: pad is
 * (left, right) or (left, right, top, bottom); mode 'constant' (with value; negative pads crop),
 * 'reflect' (mirrored without repeating the edge: U-Net's overlap-tile) or 'replicate' (ONNX's
 * 'edge'). The forward takes float32 or int32 (the fill value cast to int, as PyTorch casts it); the
 * backward is float32. Index maps shared by both backends: kernels/include/detseg/nn_pad_math.cuh.
 */
public final class Padding {
  private Padding() {}

  private record Geometry(long planes, int h, int w, int outH, int outW, int padTop, int padLeft, int mode,
      long[] outShape) {}

  private static int mode(String op, String mode) {
    String m = mode == null ? "constant" : mode;
    switch (m) {
      case "constant":
        return NnKernels.PAD_CONSTANT;
      case "reflect":
        return NnKernels.PAD_REFLECT;
      case "replicate":
        return NnKernels.PAD_REPLICATE;
      default:
        throw NnChecks.error(op, "mode", "'constant', 'reflect' or 'replicate'", "'" + m + "'");
    }
  }

  private static Geometry geometry(String op, Tensor input, int[] pad, String modeName) {
    Checks.open(op, "input", input);
    if (input.dtype() != DType.FLOAT32 && input.dtype() != DType.INT32) {
      throw NnChecks.error(op, "input", "dtype float32 or int32", input.dtype().label());
    }
    int mode = mode(op, modeName);
    if (pad == null || (pad.length != 2 && pad.length != 4)) {
      throw NnChecks.error(op, "pad", "2 values (left, right) or 4 (left, right, top, bottom); padding more than the "
          + "last two dimensions is not supported", pad == null ? "null" : Arrays.toString(pad));
    }
    int padded = pad.length / 2;
    int dim = input.dim();
    if (mode == NnKernels.PAD_CONSTANT) {
      if (dim < padded) {
        throw NnChecks.error(op, "input", "at least " + padded + " dimensions for " + pad.length + " pad values",
            "shape " + Shapes.format(input.shape()));
      }
    } else if (dim != padded + 1 && dim != padded + 2) {
      throw NnChecks.error(op, "input", (padded + 1) + "-D or " + (padded + 2) + "-D for " + pad.length
          + " pad values in mode '" + modeName + "'", "shape " + Shapes.format(input.shape()));
    }
    long w = input.size(dim - 1);
    long h = padded == 2 ? input.size(dim - 2) : 1;
    int pl = pad[0];
    int pr = pad[1];
    int pt = padded == 2 ? pad[2] : 0;
    int pb = padded == 2 ? pad[3] : 0;
    if (mode != NnKernels.PAD_CONSTANT) {
      for (int v : pad) {
        if (v < 0) {
          throw NnChecks.error(op, "pad", "non-negative values in mode '" + modeName + "'", Arrays.toString(pad));
        }
      }
      if (input.numel() == 0) {
        throw NnChecks.error(op, "input", "a non-empty tensor in mode '" + modeName + "'",
            "shape " + Shapes.format(input.shape()));
      }
      if (mode == NnKernels.PAD_REFLECT && (pl >= w || pr >= w || pt >= h || pb >= h)) {
        throw NnChecks.error(op, "pad", "padding smaller than the padded dimension in mode 'reflect' (input "
            + Shapes.format(input.shape()) + ")", Arrays.toString(pad));
      }
    }
    long oh = h + pt + pb;
    long ow = w + pl + pr;
    if (oh < 0 || ow < 0) {
      throw NnChecks.error(op, "pad", "padding that leaves a non-negative output size (input "
          + Shapes.format(input.shape()) + ")", Arrays.toString(pad));
    }
    NnChecks.planeFits(op, "input", h, w);
    NnChecks.planeFits(op, "output", oh, ow);
    long[] outShape = input.shape();
    outShape[dim - 1] = ow;
    if (padded == 2) {
      outShape[dim - 2] = oh;
    }
    long planes = h * w == 0 ? 0 : input.numel() / (h * w);
    if (h * w == 0) {
      planes = 1;
      for (int d = 0; d < dim - padded; d++) {
        planes *= input.size(d);
      }
    }
    return new Geometry(planes, (int) h, (int) w, (int) oh, (int) ow, pt, pl, mode, outShape);
  }

  /** torch.nn.functional.pad(input, pad, mode, value). */
  public static Tensor pad(Tensor input, int[] pad, String mode, float value) {
    Geometry g = geometry("pad", input, pad, mode);
    Tensor out = Tensor.empty(input.device(), input.dtype(), g.outShape());
    if (out.numel() == 0) {
      return out;
    }
    int bits = input.dtype() == DType.FLOAT32 ? Float.floatToRawIntBits(value) : (int) value;
    if (input.numel() == 0) {  // constant mode around an empty input: all fill
      try (Tensor one = Tensor.of(input.device(), new float[] {0f}, 1, 1, 1)) {
        input.backend().nn().pad2d(one, out, g.planes(), 1, 1, g.outH(), g.outW(), -g.outH() - 1, -g.outW() - 1,
            NnKernels.PAD_CONSTANT, bits);
      }
      return out;
    }
    input.backend().nn().pad2d(input, out, g.planes(), g.h(), g.w(), g.outH(), g.outW(), g.padTop(), g.padLeft(),
        g.mode(), bits);
    return out;
  }

  /** Gradient of pad: each input element receives the gradients of the outputs that read it. */
  public static Tensor padBackward(Tensor gradOutput, Tensor input, int[] pad, String mode) {
    String op = "pad_backward";
    Checks.dtype(op, "input", input, DType.FLOAT32);
    Geometry g = geometry(op, input, pad, mode);
    Checks.dtype(op, "grad_output", gradOutput, DType.FLOAT32);
    Checks.sameDevice(op, "grad_output", gradOutput, "input", input);
    NnChecks.shape(op, "grad_output", gradOutput, g.outShape());
    Tensor gi = Tensor.empty(input.device(), DType.FLOAT32, input.shape());
    if (gi.numel() > 0) {
      input.backend().nn().pad2dBackward(gradOutput, gi, g.planes(), g.h(), g.w(), g.outH(), g.outW(), g.padTop(),
          g.padLeft(), g.mode());
    }
    return gi;
  }
}
