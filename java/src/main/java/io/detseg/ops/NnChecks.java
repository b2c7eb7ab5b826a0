package io.detseg.ops;

import io.detseg.tensor.DType;
import io.detseg.tensor.Shapes;
import io.detseg.tensor.Tensor;
import java.util.Arrays;

/**
 * Argument checks shared by the nn family's ops (pooling, resize, batch norm, activations, padding,
 * cat/split), on top of {@link Checks}. Messages name the op, the argument, what was expected and what
 * came.
 */
final class NnChecks {
  private NnChecks() {}

  static IllegalArgumentException error(String op, String arg, String expected, String got) {
    return new IllegalArgumentException(op + ": argument '" + arg + "': expected " + expected + " but got " + got);
  }

  /** A float32 tensor of shape [N, C, H, W] or [C, H, W] (torch's batched / unbatched 2-D input). */
  static void image(String op, String arg, Tensor t) {
    Checks.dtype(op, arg, t, DType.FLOAT32);
    if (t.dim() != 3 && t.dim() != 4) {
      throw error(op, arg, "a 3-D [C, H, W] or 4-D [N, C, H, W] tensor", "shape " + Shapes.format(t.shape()));
    }
    for (int d = t.dim() - 3; d < t.dim(); d++) {
      if (t.size(d) == 0) {
        throw error(op, arg, "non-zero C, H and W (only the batch may be empty)", "shape " + Shapes.format(t.shape()));
      }
    }
  }

  /** A float32 tensor of exactly 4 dimensions. */
  static void image4(String op, String arg, Tensor t) {
    Checks.dtype(op, arg, t, DType.FLOAT32);
    if (t.dim() != 4) {
      throw error(op, arg, "a 4-D [N, C, H, W] tensor", "shape " + Shapes.format(t.shape()));
    }
  }

  /** Every plane (the last two dimensions) must have fewer than 2^31 elements: in-plane indices are int32. */
  static void planeFits(String op, String arg, long h, long w) {
    if (h * w > Integer.MAX_VALUE || h > Integer.MAX_VALUE || w > Integer.MAX_VALUE) {
      throw error(op, arg, "planes (H*W) of at most " + Integer.MAX_VALUE + " elements (int32 indices)",
          h + " x " + w);
    }
  }

  /** An int list of length 1 (used for both dimensions) or 2, each value checked by minimum. */
  static int[] pair(String op, String arg, int[] v, int min) {
    if (v == null || (v.length != 1 && v.length != 2)) {
      throw error(op, arg, "one int or two ints", v == null ? "null" : Arrays.toString(v));
    }
    int[] p = v.length == 1 ? new int[] {v[0], v[0]} : v.clone();
    for (int x : p) {
      if (x < min) {
        throw error(op, arg, "values >= " + min, Arrays.toString(v));
      }
    }
    return p;
  }

  static void sameDeviceAll(String op, Tensor ref, String refName, Object... namesAndTensors) {
    for (int i = 0; i < namesAndTensors.length; i += 2) {
      Tensor t = (Tensor) namesAndTensors[i + 1];
      if (t != null) {
        Checks.sameDevice(op, (String) namesAndTensors[i], t, refName, ref);
      }
    }
  }

  static void shape(String op, String arg, Tensor t, long... expected) {
    if (!Arrays.equals(t.shape(), expected)) {
      throw error(op, arg, "shape " + Shapes.format(expected), Shapes.format(t.shape()));
    }
  }

  /** [N, C, H, W] from a 3-D or 4-D image. */
  static long[] nchw(Tensor t) {
    return t.dim() == 4 ? t.shape() : new long[] {1, t.size(0), t.size(1), t.size(2)};
  }

  /** The output shape with the input's rank: [N, C, h, w] or [C, h, w]. */
  static long[] outShape(Tensor input, long h, long w) {
    long[] s = nchw(input);
    return input.dim() == 4 ? new long[] {s[0], s[1], h, w} : new long[] {s[1], h, w};
  }
}
