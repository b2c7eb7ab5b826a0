package io.detseg.ops;

import io.detseg.tensor.DType;
import io.detseg.tensor.Shapes;
import io.detseg.tensor.Tensor;
import java.util.Arrays;

/** Argument checks of the box op family beyond {@link Checks}; same message style (op, argument, expected, got). */
final class BoxChecks {
  private BoxChecks() {}

  static IllegalArgumentException fail(String op, String arg, String expected, Object got) {
    return new IllegalArgumentException(op + ": argument '" + arg + "': expected " + expected + " but got " + got);
  }

  /** float32 [N, 4] with N at most Integer.MAX_VALUE. */
  static void boxes(String op, String arg, Tensor t) {
    Checks.dtype(op, arg, t, DType.FLOAT32);
    Checks.matrixWithColumns(op, arg, t, 4);
    Checks.atMostInt(op, arg + ".size(0)", t.size(0));
  }

  /** float32 [..., 4] (at least one dimension, the last of size 4). */
  static void boxesAnyShape(String op, String arg, Tensor t) {
    Checks.dtype(op, arg, t, DType.FLOAT32);
    if (t.dim() < 1 || t.size(t.dim() - 1) != 4) {
      throw fail(op, arg, "shape [..., 4]", Shapes.format(t.shape()));
    }
  }

  static void finite(String op, String arg, double v) {
    if (!Double.isFinite(v)) {
      throw fail(op, arg, "a finite number", v);
    }
  }

  static void positive(String op, String arg, double v) {
    if (!(v > 0) || !Double.isFinite(v)) {
      throw fail(op, arg, "a finite number > 0", v);
    }
  }

  static void nonNegative(String op, String arg, long v) {
    if (v < 0) {
      throw fail(op, arg, "a value >= 0", v);
    }
  }

  static void atLeast(String op, String arg, long v, long min) {
    if (v < min) {
      throw fail(op, arg, "a value >= " + min, v);
    }
  }

  static void length(String op, String arg, float[] v, int n) {
    if (v == null || v.length != n) {
      throw fail(op, arg, n + " values", v == null ? "null" : v.length + " values " + Arrays.toString(v));
    }
  }

  static void allFinite(String op, String arg, float[] v) {
    for (float x : v) {
      if (!Float.isFinite(x)) {
        throw fail(op, arg, "finite values", Arrays.toString(v));
      }
    }
  }

  static void allPositive(String op, String arg, float[] v) {
    for (float x : v) {
      if (!(x > 0) || !Float.isFinite(x)) {
        throw fail(op, arg, "finite values > 0", Arrays.toString(v));
      }
    }
  }

  /** Same dtype-independent shape and device as ref. */
  static void like(String op, String arg, Tensor t, String refArg, Tensor ref) {
    Checks.open(op, arg, t);
    Checks.sameDevice(op, arg, t, refArg, ref);
    Checks.sameShape(op, arg, t, refArg, ref);
  }
}
