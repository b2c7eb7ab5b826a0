package io.detseg.ops;

import io.detseg.backend.ConvGeometry;
import io.detseg.onnx.OnnxModel;
import io.detseg.tensor.DType;
import io.detseg.tensor.Shapes;
import io.detseg.tensor.Tensor;
import java.util.Arrays;
import java.util.Locale;

/**
 * ONNX's Conv, ConvTranspose and ConvInteger (opset 11+ semantics) on top of {@link Conv}: pads as
 * [top, left, bottom, right] (ONNX's [x1_begin, x2_begin, x1_end, x2_end]), auto_pad (NOTSET, VALID,
 * SAME_UPPER, SAME_LOWER), ConvTranspose's output_padding and output_shape. Only 2-D convolutions are
 * implemented: a 1-D or 3-D node is rejected with an IllegalArgumentException that says so.
 */
public final class OnnxConv {
  private OnnxConv() {}

  /** A node's attributes; a null array means the attribute is absent (ONNX's default applies). */
  public record Attributes(String autoPad, long[] dilations, long group, long[] kernelShape, long[] pads,
      long[] strides, long[] outputPadding, long[] outputShape) {

    public static Attributes defaults() {
      return new Attributes("NOTSET", null, 1, null, null, null, null, null);
    }

    public static Attributes of(OnnxModel m) {
      return new Attributes(m.stringAttr("auto_pad", "NOTSET"), m.intsAttr("dilations"), m.intAttr("group", 1),
          m.intsAttr("kernel_shape"), m.intsAttr("pads"), m.intsAttr("strides"), m.intsAttr("output_padding"),
          m.intsAttr("output_shape"));
    }
  }

  /** ONNX Conv(X, W, B?) → Y. */
  public static Tensor conv(Tensor x, Tensor w, Tensor b, Attributes a) {
    final String op = "onnx Conv";
    return Conv.conv2d(x, w, b, convParams(op, x, w, a));
  }

  /** All gradients of ONNX Conv (grad_B only when hasBias). */
  public static Conv.Grads convBackward(Tensor gradY, Tensor x, Tensor w, boolean hasBias, Attributes a) {
    final String op = "onnx Conv backward";
    return Conv.conv2dBackward(op, Conv.conv2dGeometry(op, x, w, null, convParams(op, x, w, a)), gradY, x, w,
        hasBias);
  }

  /**
   * ONNX ConvInteger(x, w, x_zero_point?, w_zero_point?) → int32 y: uint8 inputs minus their (scalar)
   * zero points, convolved exactly. The uint8 → float conversion goes through the host (this wrapper
   * exists for ONNX conformance, not speed); the products are exact in float while every partial sum
   * stays below 2^24, which the op checks.
   */
  public static Tensor convInteger(Tensor x, Tensor w, Tensor xZeroPoint, Tensor wZeroPoint, Attributes a) {
    final String op = "onnx ConvInteger";
    Checks.dtype(op, "x", x, DType.UINT8);
    Checks.dtype(op, "w", w, DType.UINT8);
    Checks.sameDevice(op, "w", w, "x", x);
    int xz = zeroPoint(op, "x_zero_point", xZeroPoint);
    int wz = zeroPoint(op, "w_zero_point", wZeroPoint);
    rank4(op, "x", x);
    rank4(op, "w", w);
    long terms = w.numel() / Math.max(1, w.size(0));
    if (terms * 255L * 255L >= (1L << 24)) {
      throw new IllegalArgumentException(op + ": argument 'w': expected at most " + ((1L << 24) / (255L * 255L))
          + " terms per output (exact in float32) but got " + terms);
    }
    try (Tensor xf = shifted(x, xz); Tensor wf = shifted(w, wz); Tensor y = conv(xf, wf, null, a)) {
      float[] v = y.toFloatArray();
      int[] out = new int[v.length];
      for (int i = 0; i < v.length; i++) {
        out[i] = Math.round(v[i]);
      }
      return Tensor.of(x.device(), out, y.shape());
    }
  }

  /** ONNX ConvTranspose(X, W, B?) → Y. */
  public static Tensor convTranspose(Tensor x, Tensor w, Tensor b, Attributes a) {
    return Conv.convTranspose2d(convTransposeGeometry("onnx ConvTranspose", x, w, b, a), x, w, b);
  }

  /** All gradients of ONNX ConvTranspose. */
  public static Conv.Grads convTransposeBackward(Tensor gradY, Tensor x, Tensor w, boolean hasBias, Attributes a) {
    final String op = "onnx ConvTranspose backward";
    return Conv.convTranspose2dBackward(op, convTransposeGeometry(op, x, w, null, a), gradY, x, w, hasBias);
  }

  /** The PyTorch-style parameters an ONNX Conv node means for these tensors (auto_pad resolved). */
  public static ConvParams convParams(String op, Tensor x, Tensor w, Attributes a) {
    Conv.float32(op, "X", x);
    Conv.float32(op, "W", w);
    rank4(op, "X", x);
    rank4(op, "W", w);
    kernelShape(op, w, a);
    int[] s = two(op, "strides", a.strides(), 1);
    int[] d = two(op, "dilations", a.dilations(), 1);
    int[] pads = fourPads(op, a.pads());
    String autoPad = autoPad(op, a);
    if (!autoPad.equals("NOTSET")) {
      pads = new int[4];
      if (autoPad.startsWith("SAME")) {
        for (int i = 0; i < 2; i++) {
          long in = x.size(2 + i), k = w.size(2 + i);
          long out = (in + s[i] - 1) / s[i];
          long total = Math.max(0, (out - 1) * s[i] + (k - 1) * d[i] + 1 - in);
          long small = total / 2, big = total - small;
          pads[i] = (int) (autoPad.equals("SAME_UPPER") ? small : big);
          pads[2 + i] = (int) (autoPad.equals("SAME_UPPER") ? big : small);
        }
      }
    }
    return ConvParams.padded(op, s, pads, d, group(op, a), null);
  }

  /** The conv2d geometry an ONNX ConvTranspose node is the data gradient of (pads may come out negative). */
  public static ConvGeometry convTransposeGeometry(String op, Tensor x, Tensor w, Tensor b, Attributes a) {
    Conv.float32(op, "X", x);
    Conv.float32(op, "W", w);
    rank4(op, "X", x);
    rank4(op, "W", w);
    Conv.convTensors(op, x, w, b);
    kernelShape(op, w, a);
    int[] s = two(op, "strides", a.strides(), 1);
    int[] d = two(op, "dilations", a.dilations(), 1);
    int[] op2 = two(op, "output_padding", a.outputPadding(), 0);
    int group = group(op, a);
    long n = x.size(0), cIn = x.size(1);
    if (w.size(0) != cIn) {
      throw new IllegalArgumentException(op + ": argument 'W': expected W.shape[0] = C of X (" + cIn + ") but got W of "
          + "shape " + Shapes.format(w.shape()) + " (channel mismatch)");
    }
    if (cIn % group != 0) {
      throw new IllegalArgumentException(op + ": attribute 'group': expected a divisor of the input channels (" + cIn
          + ") but got " + group);
    }
    long cOut = w.size(1) * group;
    if (b != null && (b.dim() != 1 || b.size(0) != cOut)) {
      throw new IllegalArgumentException(op + ": argument 'B': expected shape [" + cOut + "] but got "
          + Shapes.format(b.shape()));
    }
    for (int i = 0; i < 2; i++) {
      if (op2[i] < 0) {
        throw new IllegalArgumentException(op + ": attribute 'output_padding': expected values >= 0 but got "
            + Arrays.toString(op2));
      }
    }
    String autoPad = autoPad(op, a);
    long[] outShape = a.outputShape();
    if (outShape != null) {
      if (outShape.length == 4) {
        outShape = new long[] {outShape[2], outShape[3]};
      } else if (outShape.length != 2) {
        throw new IllegalArgumentException(op + ": attribute 'output_shape': expected 2 spatial sizes (or the 4-D "
            + "shape) but got " + Arrays.toString(a.outputShape()));
      }
    }
    long[] out = new long[2];
    long[] begin = new long[2];
    for (int i = 0; i < 2; i++) {
      long in = x.size(2 + i), k = w.size(2 + i);
      long full = (long) s[i] * (in - 1) + op2[i] + (k - 1) * d[i] + 1;
      if (outShape != null || autoPad.startsWith("SAME")) {
        out[i] = outShape != null ? outShape[i] : in * s[i];
        long total = full - out[i];
        if (out[i] < 1 || total <= -s[i]) {
          throw new IllegalArgumentException(op + ": attribute 'output_shape': expected sizes in [1, " + (full + s[i] - 1)
              + "] for input size " + in + ", kernel " + k + ", stride " + s[i] + " and dilation " + d[i] + " but got "
              + Arrays.toString(outShape != null ? outShape : out) + " (output shape inconsistent with stride)");
        }
        long half = Math.floorDiv(total, 2);
        begin[i] = autoPad.equals("SAME_UPPER") ? half : total - half;
      } else {
        int[] pads = autoPad.equals("VALID") ? new int[4] : fourPads(op, a.pads());
        for (int v : pads) {
          if (v < 0) {
            throw new IllegalArgumentException(op + ": attribute 'pads': expected values >= 0 but got "
                + Arrays.toString(pads));
          }
        }
        begin[i] = pads[i];
        out[i] = full - pads[i] - pads[2 + i];
        if (out[i] < 1) {
          throw new IllegalArgumentException(op + ": expected a positive output size but the attributes give "
              + Arrays.toString(out) + " for X of shape " + Shapes.format(x.shape()));
        }
      }
    }
    return new ConvGeometry(n, cOut, out[0], out[1], cIn, x.size(2), x.size(3), w.size(2), w.size(3), s[0], s[1],
        begin[0], begin[1], d[0], d[1], group);
  }

  // ---- helpers --------------------------------------------------------------------------------------

  private static void rank4(String op, String arg, Tensor t) {
    if (t.dim() != 4) {
      String kind = t.dim() == 3 ? " (a 1-D convolution)" : t.dim() == 5 ? " (a 3-D convolution)" : "";
      throw new IllegalArgumentException(op + ": argument '" + arg + "': only 2-D convolution is implemented: expected "
          + "rank 4 [N, C, H, W] but got shape " + Shapes.format(t.shape()) + kind);
    }
  }

  private static void kernelShape(String op, Tensor w, Attributes a) {
    long[] ks = a.kernelShape();
    if (ks != null && (ks.length != 2 || ks[0] != w.size(2) || ks[1] != w.size(3))) {
      throw new IllegalArgumentException(op + ": attribute 'kernel_shape': expected [" + w.size(2) + ", " + w.size(3)
          + "] (W's spatial shape) but got " + Arrays.toString(ks));
    }
  }

  private static String autoPad(String op, Attributes a) {
    String p = a.autoPad() == null || a.autoPad().isEmpty() ? "NOTSET" : a.autoPad().toUpperCase(Locale.ROOT);
    if (!p.equals("NOTSET") && !p.equals("VALID") && !p.equals("SAME_UPPER") && !p.equals("SAME_LOWER")) {
      throw new IllegalArgumentException(op + ": attribute 'auto_pad': expected NOTSET, VALID, SAME_UPPER or "
          + "SAME_LOWER but got '" + a.autoPad() + "'");
    }
    return p;
  }

  private static int group(String op, Attributes a) {
    if (a.group() < 1 || a.group() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(op + ": attribute 'group': expected a value >= 1 but got " + a.group());
    }
    return (int) a.group();
  }

  private static int[] two(String op, String attr, long[] v, int fallback) {
    if (v == null) {
      return new int[] {fallback, fallback};
    }
    if (v.length != 2) {
      throw new IllegalArgumentException(op + ": attribute '" + attr + "': expected 2 values (one per spatial "
          + "dimension of a 2-D convolution) but got " + Arrays.toString(v));
    }
    return new int[] {toInt(op, attr, v[0]), toInt(op, attr, v[1])};
  }

  private static int[] fourPads(String op, long[] v) {
    if (v == null) {
      return new int[4];
    }
    if (v.length != 4) {
      throw new IllegalArgumentException(op + ": attribute 'pads': expected 4 values [top, left, bottom, right] but "
          + "got " + Arrays.toString(v));
    }
    int[] p = new int[4];
    for (int i = 0; i < 4; i++) {
      p[i] = toInt(op, "pads", v[i]);
    }
    return p;
  }

  private static int toInt(String op, String attr, long v) {
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(op + ": attribute '" + attr + "': value " + v + " is out of range");
    }
    return (int) v;
  }

  private static int zeroPoint(String op, String arg, Tensor zp) {
    if (zp == null) {
      return 0;
    }
    Checks.dtype(op, arg, zp, DType.UINT8);
    if (zp.numel() != 1) {
      throw new IllegalArgumentException(op + ": argument '" + arg + "': expected a scalar (per-tensor zero point) but "
          + "got shape " + Shapes.format(zp.shape()));
    }
    return zp.toByteArray()[0] & 0xFF;
  }

  private static Tensor shifted(Tensor t, int zero) {
    byte[] v = t.toByteArray();
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = (v[i] & 0xFF) - zero;
    }
    return Tensor.of(t.device(), f, t.shape());
  }
}
