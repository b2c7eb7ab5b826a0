package io.detseg.ops;

import io.detseg.backend.ConvGeometry;
import io.detseg.backend.ConvKernels;
import io.detseg.tensor.DType;
import io.detseg.tensor.Shapes;
import io.detseg.tensor.Tensor;
import java.util.Arrays;

/**
 * Dense layers and convolutions with PyTorch's semantics and names: torch.matmul (2-D),
 * torch.nn.functional.linear, conv2d and conv_transpose2d, forward and backward. Every argument is
 * checked here (IllegalArgumentException naming the op, the argument, what was expected and what
 * came) before anything runs; outputs are allocated on the inputs' device.
 *
 * <p>The transposed convolution is the data gradient of the convolution it transposes, so one
 * {@link ConvGeometry} (that of the forward conv2d) describes both: conv_transpose2d's forward runs
 * conv2d's data-gradient kernels (a gather, no atomics), its input gradient runs conv2d's forward
 * and its weight gradient runs conv2d's weight-gradient kernels with input and gradient swapped.
 */
public final class Conv {
  private Conv() {}

  /** Gradients of a layer with weights; gradBias is null when the layer had no bias. */
  public record Grads(Tensor gradInput, Tensor gradWeight, Tensor gradBias) {}

  // ---- matmul / linear ----------------------------------------------------------------------------

  /** torch.matmul(input [M, K], other [K, N]) → [M, N] (2-D operands; our own blocked SGEMM on the CPU). */
  public static Tensor matmul(Tensor input, Tensor other) {
    final String op = "matmul";
    float32(op, "input", input);
    float32(op, "other", other);
    Checks.sameDevice(op, "other", other, "input", input);
    dims(op, "input", input, 2, "[M, K]");
    dims(op, "other", other, 2, "[K, N]");
    if (other.size(0) != input.size(1)) {
      throw new IllegalArgumentException(op + ": argument 'other': expected " + input.size(1)
          + " rows (input.size(1)) but got shape " + Shapes.format(other.shape()));
    }
    long m = input.size(0), k = input.size(1), n = other.size(1);
    Tensor out = Tensor.empty(input.device(), DType.FLOAT32, m, n);
    gemm(input, false, false, m, n, k, input, k, other, n, 0f, out, n);
    return out;
  }

  /** Gradients of matmul: {grad_input = g other^T, grad_other = input^T g}. */
  public static Tensor[] matmulBackward(Tensor gradOutput, Tensor input, Tensor other) {
    final String op = "matmul_backward";
    float32(op, "grad_output", gradOutput);
    float32(op, "input", input);
    float32(op, "other", other);
    Checks.sameDevice(op, "input", input, "grad_output", gradOutput);
    Checks.sameDevice(op, "other", other, "grad_output", gradOutput);
    dims(op, "input", input, 2, "[M, K]");
    dims(op, "other", other, 2, "[K, N]");
    long m = input.size(0), k = input.size(1), n = other.size(1);
    if (other.size(0) != k) {
      throw new IllegalArgumentException(op + ": argument 'other': expected " + k + " rows but got shape "
          + Shapes.format(other.shape()));
    }
    shape(op, "grad_output", gradOutput, m, n);
    Tensor gi = Tensor.empty(input.device(), DType.FLOAT32, m, k);
    Tensor go = Tensor.empty(input.device(), DType.FLOAT32, k, n);
    gemm(input, false, true, m, k, n, gradOutput, n, other, n, 0f, gi, k);
    gemm(input, true, false, k, n, m, input, k, gradOutput, n, 0f, go, n);
    return new Tensor[] {gi, go};
  }

  /** torch.nn.functional.linear(input [*, in], weight [out, in], bias [out] or null) → [*, out]. */
  public static Tensor linear(Tensor input, Tensor weight, Tensor bias) {
    final String op = "linear";
    long[] io = linearChecks(op, input, weight, bias);
    long rows = io[0], in = io[1], outF = io[2];
    long[] shape = input.shape();
    shape[shape.length - 1] = outF;
    Tensor out = Tensor.empty(input.device(), DType.FLOAT32, shape);
    if (out.numel() == 0) {
      return out;
    }
    if (bias != null) {
      input.backend().conv().fillRows(bias, rows, out);
    }
    gemm(input, false, true, rows, outF, in, input, in, weight, in, bias != null ? 1f : 0f, out, outF);
    return out;
  }

  /** Gradients of linear: grad_input = g W, grad_weight = g^T x, grad_bias = column sums of g (if hasBias). */
  public static Grads linearBackward(Tensor gradOutput, Tensor input, Tensor weight, boolean hasBias) {
    final String op = "linear_backward";
    long[] io = linearChecks(op, input, weight, null);
    long rows = io[0], in = io[1], outF = io[2];
    float32(op, "grad_output", gradOutput);
    Checks.sameDevice(op, "grad_output", gradOutput, "input", input);
    long[] expected = input.shape();
    expected[expected.length - 1] = outF;
    if (!Arrays.equals(expected, gradOutput.shape())) {
      throw new IllegalArgumentException(op + ": argument 'grad_output': expected shape " + Shapes.format(expected)
          + " but got " + Shapes.format(gradOutput.shape()));
    }
    Tensor gi = Tensor.empty(input.device(), DType.FLOAT32, input.shape());
    Tensor gw = Tensor.empty(input.device(), DType.FLOAT32, outF, in);
    Tensor gb = hasBias ? Tensor.empty(input.device(), DType.FLOAT32, outF) : null;
    if (rows == 0) {
      zero(gw);
      if (gb != null) {
        zero(gb);
      }
      return new Grads(gi, gw, gb);
    }
    gemm(input, false, false, rows, in, outF, gradOutput, outF, weight, in, 0f, gi, in);
    gemm(input, true, false, outF, in, rows, gradOutput, outF, input, in, 0f, gw, in);
    if (gb != null) {
      input.backend().conv().sumRows(gradOutput, rows, outF, gb);
    }
    return new Grads(gi, gw, gb);
  }

  // ---- conv2d -----------------------------------------------------------------------------------------

  /** conv2d with PyTorch's defaults (stride 1, padding 0, dilation 1, groups 1). */
  public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias) {
    return conv2d(input, weight, bias, ConvParams.defaults());
  }

  /** torch.nn.functional.conv2d(input, weight, bias, stride, padding, dilation, groups). */
  public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation,
      int groups) {
    return conv2d(input, weight, bias, ConvParams.of("conv2d", stride, padding, dilation, groups));
  }

  /** conv2d with padding "same" / "valid" (or integers as text), as PyTorch's string padding. */
  public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias, int[] stride, String padding, int[] dilation,
      int groups) {
    return conv2d(input, weight, bias, ConvParams.of("conv2d", stride, padding, dilation, groups));
  }

  /** conv2d of input [N, C, H, W] with weight [Cout, C / groups, kh, kw] and bias [Cout] (or null). */
  public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias, ConvParams p) {
    final String op = "conv2d";
    ConvGeometry g = conv2dGeometry(op, input, weight, bias, p);
    Tensor out = Tensor.empty(input.device(), DType.FLOAT32, g.n(), g.cOut(), g.hOut(), g.wOut());
    if (out.numel() > 0) {
      input.backend().conv().conv2dForward(g, input, weight, bias, out);
    }
    return out;
  }

  /** The geometry conv2d(input, weight, bias, p) runs with (validates every argument). */
  public static ConvGeometry conv2dGeometry(String op, Tensor input, Tensor weight, Tensor bias, ConvParams p) {
    convTensors(op, input, weight, bias);
    checkParams(op, p, false);
    long n = input.size(0), c = input.size(1), h = input.size(2), w = input.size(3);
    long cOut = weight.size(0), kh = weight.size(2), kw = weight.size(3);
    int groups = p.groups;
    if (c % groups != 0) {
      throw new IllegalArgumentException(op + ": argument 'groups': expected a divisor of the input channels (" + c
          + ") but got " + groups);
    }
    if (cOut % groups != 0) {
      throw new IllegalArgumentException(op + ": argument 'groups': expected a divisor of the output channels "
          + "(weight.size(0) = " + cOut + ") but got " + groups);
    }
    if (weight.size(1) * groups != c) {
      throw new IllegalArgumentException(op + ": argument 'weight': expected weight.size(1) * groups = input channels ("
          + c + "), i.e. weight.size(1) = " + c / groups + " for groups = " + groups + ", but got weight of shape "
          + Shapes.format(weight.shape()) + " (channel mismatch)");
    }
    if (bias != null && bias.size(0) != cOut) {
      throw new IllegalArgumentException(op + ": argument 'bias': expected shape [" + cOut + "] (weight.size(0)) but got "
          + Shapes.format(bias.shape()));
    }
    int[] pads = p.pads.clone();
    if (p.same) {
      if (p.stride[0] != 1 || p.stride[1] != 1) {
        throw new IllegalArgumentException(op + ": argument 'padding': 'same' needs stride 1 (as in PyTorch) but got "
            + "stride " + Arrays.toString(p.stride));
      }
      // PyTorch: total = dilation * (k - 1), the odd one extra at the bottom / right
      long th = (long) p.dilation[0] * (kh - 1), tw = (long) p.dilation[1] * (kw - 1);
      pads = new int[] {(int) (th / 2), (int) (tw / 2), (int) (th - th / 2), (int) (tw - tw / 2)};
    }
    long extH = (long) p.dilation[0] * (kh - 1) + 1, extW = (long) p.dilation[1] * (kw - 1) + 1;
    long padH = h + pads[0] + pads[2], padW = w + pads[1] + pads[3];
    if (padH < extH || padW < extW) {
      throw new IllegalArgumentException(op + ": argument 'weight': expected a kernel no larger than the padded input "
          + "(" + padH + " x " + padW + ") but got a dilated kernel of " + extH + " x " + extW + " (weight shape "
          + Shapes.format(weight.shape()) + ", dilation " + Arrays.toString(p.dilation) + ")");
    }
    long hOut = (padH - extH) / p.stride[0] + 1, wOut = (padW - extW) / p.stride[1] + 1;
    return new ConvGeometry(n, c, h, w, cOut, hOut, wOut, kh, kw, p.stride[0], p.stride[1], pads[0], pads[1],
        p.dilation[0], p.dilation[1], groups);
  }

  /**
   * All gradients of conv2d(input, weight, bias?, p): grad_input, grad_weight and (when hasBias)
   * grad_bias, as torch's convolution_backward.
   */
  public static Grads conv2dBackward(Tensor gradOutput, Tensor input, Tensor weight, boolean hasBias, ConvParams p) {
    final String op = "conv2d_backward";
    return conv2dBackward(op, conv2dGeometry(op, input, weight, null, p), gradOutput, input, weight, hasBias);
  }

  static Grads conv2dBackward(String op, ConvGeometry g, Tensor gradOutput, Tensor input, Tensor weight,
      boolean hasBias) {
    gradOutputChecks(op, gradOutput, input, g.n(), g.cOut(), g.hOut(), g.wOut());
    ConvKernels k = input.backend().conv();
    Tensor gi = Tensor.empty(input.device(), DType.FLOAT32, input.shape());
    Tensor gw = Tensor.empty(input.device(), DType.FLOAT32, weight.shape());
    Tensor gb = hasBias ? Tensor.empty(input.device(), DType.FLOAT32, g.cOut()) : null;
    if (g.n() == 0) {
      zero(gw);
      if (gb != null) {
        zero(gb);
      }
      return new Grads(gi, gw, gb);
    }
    k.conv2dBackwardData(g, gradOutput, weight, gi);
    k.conv2dBackwardWeight(g, input, gradOutput, gw);
    if (gb != null) {
      k.conv2dBackwardBias(gradOutput, g.n(), g.cOut(), g.hOut() * g.wOut(), gb);
    }
    return new Grads(gi, gw, gb);
  }

  // ---- conv_transpose2d -----------------------------------------------------------------------------

  /**
   * torch.nn.functional.conv_transpose2d(input [N, Cin, H, W], weight [Cin, Cout / groups, kh, kw],
   * bias [Cout] or null, stride, padding, output_padding, groups, dilation).
   */
  public static Tensor convTranspose2d(Tensor input, Tensor weight, Tensor bias, int[] stride, int[] padding,
      int[] outputPadding, int groups, int[] dilation) {
    return convTranspose2d(input, weight, bias,
        ConvParams.transposed("conv_transpose2d", stride, padding, outputPadding, groups, dilation), null);
  }

  /**
   * conv_transpose2d with explicit parameters; outputSize [H, W] (or null) asks for a specific output
   * size as torch.nn.ConvTranspose2d(...)(input, output_size) does: it must lie within
   * [min, min + stride - 1] per dimension and replaces output_padding.
   */
  public static Tensor convTranspose2d(Tensor input, Tensor weight, Tensor bias, ConvParams p, long[] outputSize) {
    return convTranspose2d(convTranspose2dGeometry("conv_transpose2d", input, weight, bias, p, outputSize), input,
        weight, bias);
  }

  /** conv_transpose2d with a geometry already validated against these tensors (ONNX's wrapper builds its own). */
  static Tensor convTranspose2d(ConvGeometry g, Tensor input, Tensor weight, Tensor bias) {
    Tensor out = Tensor.empty(input.device(), DType.FLOAT32, g.n(), g.cIn(), g.h(), g.w());
    if (out.numel() == 0) {
      return out;
    }
    input.backend().conv().convTranspose2dForward(g, input, weight, bias, out);
    return out;
  }

  /**
   * The geometry of the conv2d that conv_transpose2d(input, weight, ...) is the data gradient of:
   * its input is the transposed conv's output and vice versa.
   */
  public static ConvGeometry convTranspose2dGeometry(String op, Tensor input, Tensor weight, Tensor bias, ConvParams p,
      long[] outputSize) {
    convTensors(op, input, weight, bias);
    checkParams(op, p, true);
    long n = input.size(0), cIn = input.size(1), h = input.size(2), w = input.size(3);
    long kh = weight.size(2), kw = weight.size(3);
    int groups = p.groups;
    if (weight.size(0) != cIn) {
      throw new IllegalArgumentException(op + ": argument 'weight': expected weight.size(0) = input channels (" + cIn
          + ") but got weight of shape " + Shapes.format(weight.shape()) + " (channel mismatch)");
    }
    if (cIn % groups != 0) {
      throw new IllegalArgumentException(op + ": argument 'groups': expected a divisor of the input channels (" + cIn
          + ") but got " + groups);
    }
    long cOut = weight.size(1) * groups;
    if (bias != null && bias.size(0) != cOut) {
      throw new IllegalArgumentException(op + ": argument 'bias': expected shape [" + cOut
          + "] (weight.size(1) * groups) but got " + Shapes.format(bias.shape()));
    }
    int[] s = p.stride, d = p.dilation, pads = p.pads;
    long minH = (h - 1) * s[0] - pads[0] - pads[2] + (long) d[0] * (kh - 1) + 1;
    long minW = (w - 1) * s[1] - pads[1] - pads[3] + (long) d[1] * (kw - 1) + 1;
    long hOut, wOut;
    if (outputSize != null) {
      if (outputSize.length != 2) {
        throw new IllegalArgumentException(op + ": argument 'output_size': expected 2 values (H, W) but got "
            + Arrays.toString(outputSize));
      }
      for (int i = 0; i < 2; i++) {
        long min = i == 0 ? minH : minW;
        if (outputSize[i] < min || outputSize[i] > min + s[i] - 1) {
          throw new IllegalArgumentException(op + ": argument 'output_size': expected each size within [min, min + "
              + "stride - 1], i.e. " + (i == 0 ? "H" : "W") + " in [" + min + ", " + (min + s[i] - 1) + "] for stride "
              + s[i] + ", but got " + Arrays.toString(outputSize) + " (output shape inconsistent with stride)");
        }
      }
      hOut = outputSize[0];
      wOut = outputSize[1];
    } else {
      hOut = minH + p.outputPadding[0];
      wOut = minW + p.outputPadding[1];
    }
    if (hOut < 1 || wOut < 1) {
      throw new IllegalArgumentException(op + ": expected a positive output size but the parameters give " + hOut
          + " x " + wOut + " (input " + h + " x " + w + ", kernel " + kh + " x " + kw + ", " + p + ")");
    }
    return new ConvGeometry(n, cOut, hOut, wOut, cIn, h, w, kh, kw, s[0], s[1], pads[0], pads[1], d[0], d[1], groups);
  }

  /** All gradients of conv_transpose2d(input, weight, bias?, p, outputSize). */
  public static Grads convTranspose2dBackward(Tensor gradOutput, Tensor input, Tensor weight, boolean hasBias,
      ConvParams p, long[] outputSize) {
    final String op = "conv_transpose2d_backward";
    return convTranspose2dBackward(op, convTranspose2dGeometry(op, input, weight, null, p, outputSize), gradOutput,
        input, weight, hasBias);
  }

  static Grads convTranspose2dBackward(String op, ConvGeometry g, Tensor gradOutput, Tensor input, Tensor weight,
      boolean hasBias) {
    gradOutputChecks(op, gradOutput, input, g.n(), g.cIn(), g.h(), g.w());
    ConvKernels k = input.backend().conv();
    Tensor gi = Tensor.empty(input.device(), DType.FLOAT32, input.shape());
    Tensor gw = Tensor.empty(input.device(), DType.FLOAT32, weight.shape());
    Tensor gb = hasBias ? Tensor.empty(input.device(), DType.FLOAT32, g.cIn()) : null;
    if (g.n() == 0) {
      zero(gw);
      if (gb != null) {
        zero(gb);
      }
      return new Grads(gi, gw, gb);
    }
    k.conv2dForwardAndBackwardWeight(g, gradOutput, weight, gi, input, gw, gb);
    return new Grads(gi, gw, gb);
  }

  // ---- helpers ------------------------------------------------------------------------------------------

  private static void gemm(Tensor ref, boolean ta, boolean tb, long m, long n, long k, Tensor a, long lda, Tensor b,
      long ldb, float beta, Tensor c, long ldc) {
    if (m == 0 || n == 0) {
      return;
    }
    ref.backend().conv().sgemm(ta, tb, m, n, k, 1f, a, lda, b, ldb, beta, c, ldc);
  }

  private static void zero(Tensor t) {
    t.backend().fillBytes(t.address(), (byte) 0, t.byteSize());
  }

  private static long[] linearChecks(String op, Tensor input, Tensor weight, Tensor bias) {
    float32(op, "input", input);
    float32(op, "weight", weight);
    Checks.sameDevice(op, "weight", weight, "input", input);
    if (input.dim() < 1) {
      throw new IllegalArgumentException(op + ": argument 'input': expected at least 1 dimension [*, in_features] but "
          + "got a 0-d tensor");
    }
    dims(op, "weight", weight, 2, "[out_features, in_features]");
    long in = input.size(input.dim() - 1);
    if (weight.size(1) != in) {
      throw new IllegalArgumentException(op + ": argument 'weight': expected " + in
          + " columns (input.size(-1), in_features) but got shape " + Shapes.format(weight.shape()));
    }
    long outF = weight.size(0);
    if (bias != null) {
      float32(op, "bias", bias);
      Checks.sameDevice(op, "bias", bias, "input", input);
      if (bias.dim() != 1 || bias.size(0) != outF) {
        throw new IllegalArgumentException(op + ": argument 'bias': expected shape [" + outF + "] but got "
            + Shapes.format(bias.shape()));
      }
    }
    long rows = 1;
    for (int i = 0; i < input.dim() - 1; i++) {
      rows *= input.size(i);
    }
    return new long[] {rows, in, outF};
  }

  static void convTensors(String op, Tensor input, Tensor weight, Tensor bias) {
    float32(op, "input", input);
    float32(op, "weight", weight);
    Checks.sameDevice(op, "weight", weight, "input", input);
    if (input.dim() != 4) {
      throw new IllegalArgumentException(op + ": argument 'input': expected a 4-D tensor [N, C, H, W] but got shape "
          + Shapes.format(input.shape()) + (input.dim() == 3 || input.dim() == 5
              ? " (only 2-D convolution is implemented; 1-D and 3-D are not)" : ""));
    }
    if (weight.dim() != 4) {
      throw new IllegalArgumentException(op + ": argument 'weight': expected a 4-D tensor but got shape "
          + Shapes.format(weight.shape()));
    }
    for (int i = 1; i < 4; i++) {
      if (input.size(i) < 1) {
        throw new IllegalArgumentException(op + ": argument 'input': expected non-zero channel and spatial sizes but "
            + "got shape " + Shapes.format(input.shape()));
      }
    }
    for (int i = 0; i < 4; i++) {
      if (weight.size(i) < 1) {
        throw new IllegalArgumentException(op + ": argument 'weight': expected non-zero sizes but got shape "
            + Shapes.format(weight.shape()));
      }
    }
    if (bias != null) {
      float32(op, "bias", bias);
      Checks.sameDevice(op, "bias", bias, "input", input);
      if (bias.dim() != 1) {
        throw new IllegalArgumentException(op + ": argument 'bias': expected a 1-D tensor but got shape "
            + Shapes.format(bias.shape()));
      }
    }
  }

  private static void checkParams(String op, ConvParams p, boolean transposed) {
    for (int i = 0; i < 2; i++) {
      if (p.stride[i] < 1) {
        throw new IllegalArgumentException(op + ": argument 'stride': expected values >= 1 but got "
            + Arrays.toString(p.stride));
      }
      if (p.dilation[i] < 1) {
        throw new IllegalArgumentException(op + ": argument 'dilation': expected values >= 1 but got "
            + Arrays.toString(p.dilation));
      }
      if (p.outputPadding[i] < 0) {
        throw new IllegalArgumentException(op + ": argument 'output_padding': expected values >= 0 but got "
            + Arrays.toString(p.outputPadding));
      }
      if (transposed && p.outputPadding[i] >= Math.max(p.stride[i], p.dilation[i])) {
        throw new IllegalArgumentException(op + ": argument 'output_padding': expected each value smaller than stride "
            + "or dilation (as PyTorch) but got output_padding " + Arrays.toString(p.outputPadding) + " with stride "
            + Arrays.toString(p.stride) + " and dilation " + Arrays.toString(p.dilation));
      }
      if (!transposed && p.outputPadding[i] != 0) {
        throw new IllegalArgumentException(op + ": argument 'output_padding': expected 0 for a convolution but got "
            + Arrays.toString(p.outputPadding));
      }
    }
    for (int v : p.pads) {
      if (v < 0) {
        throw new IllegalArgumentException(op + ": argument 'padding': expected values >= 0 but got "
            + Arrays.toString(p.pads));
      }
    }
    if (p.groups < 1) {
      throw new IllegalArgumentException(op + ": argument 'groups': expected a value >= 1 but got " + p.groups);
    }
  }

  private static void gradOutputChecks(String op, Tensor gradOutput, Tensor input, long n, long c, long h, long w) {
    float32(op, "grad_output", gradOutput);
    Checks.sameDevice(op, "grad_output", gradOutput, "input", input);
    shape(op, "grad_output", gradOutput, n, c, h, w);
  }

  static void float32(String op, String arg, Tensor t) {
    Checks.dtype(op, arg, t, DType.FLOAT32);
  }

  private static void dims(String op, String arg, Tensor t, int dims, String expected) {
    if (t.dim() != dims) {
      throw new IllegalArgumentException(op + ": argument '" + arg + "': expected a " + dims + "-D tensor " + expected
          + " but got shape " + Shapes.format(t.shape()));
    }
  }

  private static void shape(String op, String arg, Tensor t, long... expected) {
    if (!Arrays.equals(t.shape(), expected)) {
      throw new IllegalArgumentException(op + ": argument '" + arg + "': expected shape " + Shapes.format(expected)
          + " but got " + Shapes.format(t.shape()));
    }
  }
}
