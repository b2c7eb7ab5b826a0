package io.detseg.ops;

import io.detseg.backend.NnKernels;
import io.detseg.tensor.DType;
import io.detseg.tensor.Shapes;
import io.detseg.tensor.Tensor;
import java.util.Arrays;

/**
 * 2-D pooling as in torch.nn.functional (PyTorch 1.13): max_pool2d with int32 argmax indices (flat
 * h * W + w per plane, like PyTorch's int64 ones), avg_pool2d, adaptive average / max pooling, global
 * pooling, max_unpool2d, each with its backward. Inputs are [N, C, H, W] or [C, H, W] float32.
 *
 * <p>{@link Spec} also expresses ONNX's pooling attributes (asymmetric pads, auto_pad), which PyTorch's
 * functional API cannot.
 */
public final class Pooling {
  private Pooling() {}

  /** An output with the argmax of each output element (int32, same shape). */
  public record WithIndices(Tensor output, Tensor indices) {}

  /**
   * Pooling window geometry: kernel, stride, padding at the beginning and end of each axis, dilation,
   * ceil_mode.
   */
  public record Spec(int kernelH, int kernelW, int strideH, int strideW, int padTop, int padLeft, int padBottom,
      int padRight, int dilationH, int dilationW, boolean ceilMode) {

    /**
     * PyTorch's arguments (kernel_size, stride — null or empty means kernel_size —, padding, dilation,
     * ceil_mode), each one int or two, checked as PyTorch checks them (padding at most half the kernel).
     */
    public static Spec torch(String op, int[] kernelSize, int[] stride, int[] padding, int[] dilation,
        boolean ceilMode) {
      int[] k = NnChecks.pair(op, "kernel_size", kernelSize, 1);
      int[] s = stride == null || stride.length == 0 ? k : NnChecks.pair(op, "stride", stride, 1);
      int[] p = NnChecks.pair(op, "padding", padding == null ? new int[] {0} : padding, 0);
      int[] d = NnChecks.pair(op, "dilation", dilation == null ? new int[] {1} : dilation, 1);
      if (p[0] > k[0] / 2 || p[1] > k[1] / 2) {
        throw NnChecks.error(op, "padding", "at most half of kernel_size " + Arrays.toString(k)
            + " (pad should be smaller than or equal to half of kernel size)", Arrays.toString(p));
      }
      return new Spec(k[0], k[1], s[0], s[1], p[0], p[1], p[0], p[1], d[0], d[1], ceilMode);
    }

    /**
     * ONNX MaxPool / AveragePool attributes: kernel_shape, strides (null: 1), pads [top, left, bottom,
     * right] (null: 0), dilations (null: 1), ceil_mode and auto_pad (NOTSET, SAME_UPPER, SAME_LOWER,
     * VALID) for an input of h x w. Every window must overlap the input.
     */
    public static Spec onnx(String op, long[] kernelShape, long[] strides, long[] pads, long[] dilations,
        boolean ceilMode, String autoPad, long h, long w) {
      if (kernelShape == null || kernelShape.length != 2) {
        throw NnChecks.error(op, "kernel_shape", "2 values (2-D pooling; 1-D and 3-D are not supported)",
            kernelShape == null ? "none" : Arrays.toString(kernelShape));
      }
      long[] s = strides == null ? new long[] {1, 1} : strides;
      long[] d = dilations == null ? new long[] {1, 1} : dilations;
      long[] p = pads == null ? new long[] {0, 0, 0, 0} : pads.clone();
      if (s.length != 2 || d.length != 2 || p.length != 4) {
        throw NnChecks.error(op, "strides/dilations/pads", "2, 2 and 4 values",
            Arrays.toString(s) + ", " + Arrays.toString(d) + ", " + Arrays.toString(p));
      }
      String mode = autoPad == null || autoPad.isEmpty() ? "NOTSET" : autoPad;
      long[] in = {h, w};
      for (int a = 0; a < 2; a++) {
        long ext = (kernelShape[a] - 1) * d[a] + 1;
        switch (mode) {
          case "NOTSET":
            break;
          case "VALID":
            p[a] = 0;
            p[a + 2] = 0;
            break;
          case "SAME_UPPER":
          case "SAME_LOWER": {
            long out = (in[a] + s[a] - 1) / s[a];
            long total = Math.max(0, (out - 1) * s[a] + ext - in[a]);
            long small = total / 2;
            p[a] = mode.equals("SAME_UPPER") ? small : total - small;
            p[a + 2] = total - p[a];
            break;
          }
          default:
            throw NnChecks.error(op, "auto_pad", "NOTSET, SAME_UPPER, SAME_LOWER or VALID", mode);
        }
        if (p[a] >= ext || p[a + 2] >= ext) {
          throw NnChecks.error(op, "pads", "padding smaller than the dilated kernel extent " + ext
              + " (every window must overlap the input)", Arrays.toString(p));
        }
      }
      Spec spec = new Spec(toInt(op, "kernel_shape", kernelShape[0]), toInt(op, "kernel_shape", kernelShape[1]),
          toInt(op, "strides", s[0]), toInt(op, "strides", s[1]), toInt(op, "pads", p[0]), toInt(op, "pads", p[1]),
          toInt(op, "pads", p[2]), toInt(op, "pads", p[3]), toInt(op, "dilations", d[0]),
          toInt(op, "dilations", d[1]), ceilMode);
      spec.validate(op);
      return spec;
    }

    private static int toInt(String op, String arg, long v) {
      if (v < 0 || v > Integer.MAX_VALUE) {
        throw NnChecks.error(op, arg, "values in [0, " + Integer.MAX_VALUE + "]", Long.toString(v));
      }
      return (int) v;
    }

    void validate(String op) {
      if (kernelH < 1 || kernelW < 1) {
        throw NnChecks.error(op, "kernel_size", "values >= 1", kernelH + ", " + kernelW);
      }
      if (strideH < 1 || strideW < 1) {
        throw NnChecks.error(op, "stride", "values >= 1", strideH + ", " + strideW);
      }
      if (dilationH < 1 || dilationW < 1) {
        throw NnChecks.error(op, "dilation", "values >= 1", dilationH + ", " + dilationW);
      }
      if (padTop < 0 || padLeft < 0 || padBottom < 0 || padRight < 0) {
        throw NnChecks.error(op, "padding", "values >= 0", padTop + ", " + padLeft + ", " + padBottom + ", " + padRight);
      }
    }

    /** PyTorch's pooling_output_shape_pad_lr for one axis (the last window must start inside the input or its left padding). */
    static long outputSize(long in, int k, int s, int pb, int pe, int d, boolean ceil) {
      long num = in + pb + pe - (long) d * (k - 1) - 1 + (ceil ? s - 1 : 0);
      long out = Math.floorDiv(num, (long) s) + 1;
      if (ceil && (out - 1) * s >= in + pb) {
        out--;
      }
      return out;
    }

    long outH(long h) {
      return outputSize(h, kernelH, strideH, padTop, padBottom, dilationH, ceilMode);
    }

    long outW(long w) {
      return outputSize(w, kernelW, strideW, padLeft, padRight, dilationW, ceilMode);
    }
  }

  // ---- geometry ---------------------------------------------------------------------------------------

  private static NnKernels.Pool2d geometry(String op, Tensor input, Spec spec) {
    NnChecks.image(op, "input", input);
    spec.validate(op);
    long[] s = NnChecks.nchw(input);
    long h = s[2];
    long w = s[3];
    NnChecks.planeFits(op, "input", h, w);
    long oh = spec.outH(h);
    long ow = spec.outW(w);
    if (oh < 1 || ow < 1) {
      throw new IllegalArgumentException(op + ": argument 'input': given input size (" + s[1] + "x" + h + "x" + w
          + ") the calculated output size is (" + s[1] + "x" + oh + "x" + ow + "): output size is too small");
    }
    NnChecks.planeFits(op, "output", oh, ow);
    return new NnKernels.Pool2d(s[0] * s[1], (int) h, (int) w, (int) oh, (int) ow, spec.kernelH(), spec.kernelW(),
        spec.strideH(), spec.strideW(), spec.padTop(), spec.padLeft(), (int) Math.min(Integer.MAX_VALUE,
        h + spec.padBottom()), (int) Math.min(Integer.MAX_VALUE, w + spec.padRight()), spec.dilationH(),
        spec.dilationW());
  }

  private static void checkGrad(String op, Tensor gradOutput, Tensor input, long[] outShape) {
    Checks.dtype(op, "grad_output", gradOutput, DType.FLOAT32);
    Checks.sameDevice(op, "grad_output", gradOutput, "input", input);
    NnChecks.shape(op, "grad_output", gradOutput, outShape);
  }

  private static void checkIndices(String op, Tensor indices, Tensor input, long[] outShape) {
    Checks.dtype(op, "indices", indices, DType.INT32);
    Checks.sameDevice(op, "indices", indices, "input", input);
    NnChecks.shape(op, "indices", indices, outShape);
  }

  // ---- max / average pooling --------------------------------------------------------------------------

  /** torch.nn.functional.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True). */
  public static WithIndices maxPool2d(Tensor input, int[] kernelSize, int[] stride, int[] padding, int[] dilation,
      boolean ceilMode) {
    return maxPool2d(input, Spec.torch("max_pool2d", kernelSize, stride, padding, dilation, ceilMode));
  }

  public static WithIndices maxPool2d(Tensor input, Spec spec) {
    NnKernels.Pool2d g = geometry("max_pool2d", input, spec);
    long[] shape = NnChecks.outShape(input, g.outH(), g.outW());
    Tensor out = Tensor.empty(input.device(), DType.FLOAT32, shape);
    Tensor ind = Tensor.empty(input.device(), DType.INT32, shape);
    if (out.numel() > 0) {
      input.backend().nn().maxPool2d(input, out, ind, g);
    }
    return new WithIndices(out, ind);
  }

  /** Gradient of max_pool2d (PyTorch's max_pool2d_with_indices_backward): grad_output routed to the argmax. */
  public static Tensor maxPool2dBackward(Tensor gradOutput, Tensor input, Spec spec, Tensor indices) {
    String op = "max_pool2d_backward";
    NnKernels.Pool2d g = geometry(op, input, spec);
    long[] shape = NnChecks.outShape(input, g.outH(), g.outW());
    checkGrad(op, gradOutput, input, shape);
    checkIndices(op, indices, input, shape);
    Tensor gi = Tensor.empty(input.device(), DType.FLOAT32, input.shape());
    if (gi.numel() > 0) {
      input.backend().nn().maxPool2dBackward(gradOutput, indices, gi, g);
    }
    return gi;
  }

  public static Tensor maxPool2dBackward(Tensor gradOutput, Tensor input, int[] kernelSize, int[] stride,
      int[] padding, int[] dilation, boolean ceilMode, Tensor indices) {
    return maxPool2dBackward(gradOutput, input,
        Spec.torch("max_pool2d_backward", kernelSize, stride, padding, dilation, ceilMode), indices);
  }

  /**
   * torch.nn.functional.avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
   * divisor_override); divisorOverride 0 means None.
   */
  public static Tensor avgPool2d(Tensor input, int[] kernelSize, int[] stride, int[] padding, boolean ceilMode,
      boolean countIncludePad, int divisorOverride) {
    return avgPool2d(input, Spec.torch("avg_pool2d", kernelSize, stride, padding, null, ceilMode), countIncludePad,
        divisorOverride);
  }

  public static Tensor avgPool2d(Tensor input, Spec spec, boolean countIncludePad, int divisorOverride) {
    String op = "avg_pool2d";
    checkAvgSpec(op, spec, divisorOverride);
    NnKernels.Pool2d g = geometry(op, input, spec);
    Tensor out = Tensor.empty(input.device(), DType.FLOAT32, NnChecks.outShape(input, g.outH(), g.outW()));
    if (out.numel() > 0) {
      input.backend().nn().avgPool2d(input, out, g, countIncludePad, divisorOverride);
    }
    return out;
  }

  public static Tensor avgPool2dBackward(Tensor gradOutput, Tensor input, Spec spec, boolean countIncludePad,
      int divisorOverride) {
    String op = "avg_pool2d_backward";
    checkAvgSpec(op, spec, divisorOverride);
    NnKernels.Pool2d g = geometry(op, input, spec);
    checkGrad(op, gradOutput, input, NnChecks.outShape(input, g.outH(), g.outW()));
    Tensor gi = Tensor.empty(input.device(), DType.FLOAT32, input.shape());
    if (gi.numel() > 0) {
      input.backend().nn().avgPool2dBackward(gradOutput, gi, g, countIncludePad, divisorOverride);
    }
    return gi;
  }

  public static Tensor avgPool2dBackward(Tensor gradOutput, Tensor input, int[] kernelSize, int[] stride,
      int[] padding, boolean ceilMode, boolean countIncludePad, int divisorOverride) {
    return avgPool2dBackward(gradOutput, input,
        Spec.torch("avg_pool2d_backward", kernelSize, stride, padding, null, ceilMode), countIncludePad,
        divisorOverride);
  }

  private static void checkAvgSpec(String op, Spec spec, int divisorOverride) {
    if (spec.dilationH() != 1 || spec.dilationW() != 1) {
      throw NnChecks.error(op, "dilation", "1 (average pooling has no dilation)",
          spec.dilationH() + ", " + spec.dilationW());
    }
    if (divisorOverride < 0) {
      throw NnChecks.error(op, "divisor_override", "a positive divisor (or None)", Integer.toString(divisorOverride));
    }
  }

  // ---- adaptive and global pooling ---------------------------------------------------------------------

  private static int[] adaptiveSize(String op, Tensor input, int[] outputSize) {
    NnChecks.image(op, "input", input);
    int[] o = NnChecks.pair(op, "output_size", outputSize, 1);
    long[] s = NnChecks.nchw(input);
    NnChecks.planeFits(op, "input", s[2], s[3]);
    NnChecks.planeFits(op, "output_size", o[0], o[1]);
    return o;
  }

  /** torch.nn.functional.adaptive_avg_pool2d(input, output_size); 1 x 1 is the mean of each plane. */
  public static Tensor adaptiveAvgPool2d(Tensor input, int[] outputSize) {
    int[] o = adaptiveSize("adaptive_avg_pool2d", input, outputSize);
    long[] s = NnChecks.nchw(input);
    Tensor out = Tensor.empty(input.device(), DType.FLOAT32, NnChecks.outShape(input, o[0], o[1]));
    if (out.numel() > 0) {
      input.backend().nn().adaptiveAvgPool2d(input, out, s[0] * s[1], (int) s[2], (int) s[3], o[0], o[1]);
    }
    return out;
  }

  public static Tensor adaptiveAvgPool2dBackward(Tensor gradOutput, Tensor input) {
    String op = "adaptive_avg_pool2d_backward";
    NnChecks.image(op, "input", input);
    if (gradOutput == null || gradOutput.dim() != input.dim()) {
      throw NnChecks.error(op, "grad_output", "a tensor of the input's rank " + input.dim(),
          gradOutput == null ? "null" : Shapes.format(gradOutput.shape()));
    }
    int[] o = adaptiveSize(op, input, new int[] {(int) gradOutput.size(gradOutput.dim() - 2),
        (int) gradOutput.size(gradOutput.dim() - 1)});
    long[] s = NnChecks.nchw(input);
    checkGrad(op, gradOutput, input, NnChecks.outShape(input, o[0], o[1]));
    Tensor gi = Tensor.empty(input.device(), DType.FLOAT32, input.shape());
    if (gi.numel() > 0) {
      input.backend().nn().adaptiveAvgPool2dBackward(gradOutput, gi, s[0] * s[1], (int) s[2], (int) s[3], o[0], o[1]);
    }
    return gi;
  }

  /** torch.nn.functional.adaptive_max_pool2d(input, output_size, return_indices=True). */
  public static WithIndices adaptiveMaxPool2d(Tensor input, int[] outputSize) {
    int[] o = adaptiveSize("adaptive_max_pool2d", input, outputSize);
    long[] s = NnChecks.nchw(input);
    long[] shape = NnChecks.outShape(input, o[0], o[1]);
    Tensor out = Tensor.empty(input.device(), DType.FLOAT32, shape);
    Tensor ind = Tensor.empty(input.device(), DType.INT32, shape);
    if (out.numel() > 0) {
      input.backend().nn().adaptiveMaxPool2d(input, out, ind, s[0] * s[1], (int) s[2], (int) s[3], o[0], o[1]);
    }
    return new WithIndices(out, ind);
  }

  public static Tensor adaptiveMaxPool2dBackward(Tensor gradOutput, Tensor input, Tensor indices) {
    String op = "adaptive_max_pool2d_backward";
    NnChecks.image(op, "input", input);
    Checks.dtype(op, "indices", indices, DType.INT32);
    if (indices.dim() != input.dim()) {
      throw NnChecks.error(op, "indices", "a tensor of the input's rank " + input.dim(), Shapes.format(indices.shape()));
    }
    int[] o = adaptiveSize(op, input, new int[] {(int) indices.size(indices.dim() - 2),
        (int) indices.size(indices.dim() - 1)});
    long[] s = NnChecks.nchw(input);
    long[] shape = NnChecks.outShape(input, o[0], o[1]);
    checkGrad(op, gradOutput, input, shape);
    checkIndices(op, indices, input, shape);
    Tensor gi = Tensor.empty(input.device(), DType.FLOAT32, input.shape());
    if (gi.numel() > 0) {
      input.backend().nn().adaptiveMaxPool2dBackward(gradOutput, indices, gi, s[0] * s[1], (int) s[2], (int) s[3],
          o[0], o[1]);
    }
    return gi;
  }

  /** Global average pooling (ONNX GlobalAveragePool): adaptive_avg_pool2d to 1 x 1. */
  public static Tensor globalAvgPool2d(Tensor input) {
    return adaptiveAvgPool2d(input, new int[] {1, 1});
  }

  /** Global max pooling (ONNX GlobalMaxPool) with the argmax of each plane. */
  public static WithIndices globalMaxPool2d(Tensor input) {
    return adaptiveMaxPool2d(input, new int[] {1, 1});
  }

  // ---- ONNX index layouts -----------------------------------------------------------------------------

  /**
   * ONNX MaxPool's argmax output from per-plane indices (as max_pool2d returns them, shape [N, C, oh, ow]
   * or [C, oh, ow]) into an h x w input: plane * h * w + (storageOrder == 0 ? row * w + col : col * h +
   * row).
   */
  public static Tensor toOnnxIndices(Tensor indices, long h, long w, int storageOrder) {
    String op = "to_onnx_indices";
    if (storageOrder != 0 && storageOrder != 1) {
      throw NnChecks.error(op, "storage_order", "0 (row major) or 1 (column major)", Integer.toString(storageOrder));
    }
    return indexLayout(op, indices, h, w,
        storageOrder == 0 ? NnKernels.INDEX_TO_ONNX_ROW_MAJOR : NnKernels.INDEX_TO_ONNX_COLUMN_MAJOR);
  }

  /**
   * Per-plane indices (as max_unpool2d takes them) from ONNX MaxUnpool's whole-tensor row-major indices
   * into an output of h x w planes; an index into another plane becomes one that max_unpool2d rejects.
   */
  public static Tensor fromOnnxIndices(Tensor onnxIndices, long h, long w) {
    return indexLayout("from_onnx_indices", onnxIndices, h, w, NnKernels.INDEX_FROM_ONNX_ROW_MAJOR);
  }

  private static Tensor indexLayout(String op, Tensor indices, long h, long w, int mode) {
    Checks.dtype(op, "indices", indices, DType.INT32);
    if (indices.dim() != 3 && indices.dim() != 4) {
      throw NnChecks.error(op, "indices", "a 3-D or 4-D tensor", Shapes.format(indices.shape()));
    }
    if (h < 1 || w < 1) {
      throw NnChecks.error(op, "h, w", "positive plane sizes", h + " x " + w);
    }
    long[] s = NnChecks.nchw(indices);
    long planes = s[0] * s[1];
    if (planes * h * w > Integer.MAX_VALUE) {
      throw NnChecks.error(op, "indices", "a tensor whose ONNX indices fit int32 (planes * h * w <= "
          + Integer.MAX_VALUE + ")", planes + " planes of " + h + " x " + w);
    }
    NnChecks.planeFits(op, "indices", s[2], s[3]);
    Tensor out = Tensor.empty(indices.device(), DType.INT32, indices.shape());
    if (out.numel() > 0) {
      indices.backend().nn().indexLayout(indices, out, planes, (int) (s[2] * s[3]), (int) h, (int) w, mode);
    }
    return out;
  }

  // ---- max unpooling -----------------------------------------------------------------------------------

  /**
   * torch.nn.functional.max_unpool2d(input, indices, kernel_size, stride, padding, output_size):
   * output_size (null: (in - 1) * stride - 2 * padding + kernel_size) must lie strictly between that
   * default minus and plus stride. indices are per-plane flat (h * W + w) int32 as max_pool2d returns.
   */
  public static Tensor maxUnpool2d(Tensor input, Tensor indices, int[] kernelSize, int[] stride, int[] padding,
      long[] outputSize) {
    String op = "max_unpool2d";
    long[] size = unpoolSize(op, input, kernelSize, stride, padding, outputSize, true);
    return maxUnpool2d(input, indices, size[0], size[1]);
  }

  /** Max unpooling to an explicit h x w output (ONNX MaxUnpool with output_shape). */
  public static Tensor maxUnpool2d(Tensor input, Tensor indices, long outH, long outW) {
    String op = "max_unpool2d";
    NnChecks.image(op, "input", input);
    Checks.dtype(op, "indices", indices, DType.INT32);
    Checks.sameDevice(op, "indices", indices, "input", input);
    Checks.sameShape(op, "indices", indices, "input", input);
    long[] s = NnChecks.nchw(input);
    if (outH < 1 || outW < 1) {
      throw NnChecks.error(op, "output_size", "positive sizes", outH + " x " + outW);
    }
    NnChecks.planeFits(op, "input", s[2], s[3]);
    NnChecks.planeFits(op, "output_size", outH, outW);
    Tensor out = Tensor.empty(input.device(), DType.FLOAT32, NnChecks.outShape(input, outH, outW));
    if (out.numel() > 0 && !input.backend().nn().maxUnpool2d(input, indices, out, s[0] * s[1], (int) (s[2] * s[3]),
        (int) (outH * outW))) {
      out.close();
      throw NnChecks.error(op, "indices", "per-plane indices in [0, " + outH * outW + ") (output " + outH + " x " + outW
          + ")", "an index outside that range");
    }
    return out;
  }

  /** Gradient of max_unpool2d: grad_input[i] = grad_output[indices[i]] per plane. */
  public static Tensor maxUnpool2dBackward(Tensor gradOutput, Tensor input, Tensor indices) {
    String op = "max_unpool2d_backward";
    NnChecks.image(op, "input", input);
    Checks.dtype(op, "indices", indices, DType.INT32);
    Checks.sameDevice(op, "indices", indices, "input", input);
    Checks.sameShape(op, "indices", indices, "input", input);
    Checks.dtype(op, "grad_output", gradOutput, DType.FLOAT32);
    Checks.sameDevice(op, "grad_output", gradOutput, "input", input);
    long[] s = NnChecks.nchw(input);
    if (gradOutput.dim() != input.dim()) {
      throw NnChecks.error(op, "grad_output", "a tensor of the input's rank " + input.dim(),
          Shapes.format(gradOutput.shape()));
    }
    long oh = gradOutput.size(gradOutput.dim() - 2);
    long ow = gradOutput.size(gradOutput.dim() - 1);
    NnChecks.shape(op, "grad_output", gradOutput, NnChecks.outShape(input, oh, ow));
    NnChecks.planeFits(op, "grad_output", oh, ow);
    Tensor gi = Tensor.empty(input.device(), DType.FLOAT32, input.shape());
    if (gi.numel() > 0 && !input.backend().nn().maxUnpool2dBackward(gradOutput, indices, gi, s[0] * s[1],
        (int) (s[2] * s[3]), (int) (oh * ow))) {
      gi.close();
      throw NnChecks.error(op, "indices", "per-plane indices in [0, " + oh * ow + ")", "an index outside that range");
    }
    return gi;
  }

  /** The output size of max_unpool2d as torch.nn.functional computes and checks it. */
  static long[] unpoolSize(String op, Tensor input, int[] kernelSize, int[] stride, int[] padding, long[] outputSize,
      boolean check) {
    NnChecks.image(op, "input", input);
    int[] k = NnChecks.pair(op, "kernel_size", kernelSize, 1);
    int[] st = stride == null || stride.length == 0 ? k : NnChecks.pair(op, "stride", stride, 1);
    int[] p = NnChecks.pair(op, "padding", padding == null ? new int[] {0} : padding, 0);
    long[] s = NnChecks.nchw(input);
    long[] def = {(s[2] - 1) * st[0] - 2L * p[0] + k[0], (s[3] - 1) * st[1] - 2L * p[1] + k[1]};
    if (outputSize == null || outputSize.length == 0) {
      return def;
    }
    if (outputSize.length != 2 && outputSize.length != input.dim()) {
      throw NnChecks.error(op, "output_size", "2 values (or " + input.dim() + " with the leading ones ignored)",
          Arrays.toString(outputSize));
    }
    long[] o = {outputSize[outputSize.length - 2], outputSize[outputSize.length - 1]};
    for (int a = 0; a < 2; a++) {
      long min = def[a] - st[a];
      long max = def[a] + st[a];
      if (check && !(min < o[a] && o[a] < max)) {
        throw NnChecks.error(op, "output_size", "dimension " + a + " between " + min + " and " + max
            + " (exclusive)", Arrays.toString(outputSize));
      }
    }
    return o;
  }
}
