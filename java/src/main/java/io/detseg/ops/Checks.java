package io.detseg.ops;

import io.detseg.tensor.DType;
import io.detseg.tensor.Shapes;
import io.detseg.tensor.Tensor;
import java.util.Arrays;

/**
 * Argument checks every op runs in Java before anything crosses into native code. Messages name the
 * op, the argument, what was expected and what came.
 */
public final class Checks {
  private Checks() {}

  public static void open(String op, String arg, Tensor t) {
    if (t == null) {
      throw new IllegalArgumentException(op + ": argument '" + arg + "': expected a tensor but got null");
    }
    if (t.isClosed()) {
      throw new IllegalArgumentException(op + ": argument '" + arg + "': expected an open tensor but it was closed");
    }
  }

  public static void dtype(String op, String arg, Tensor t, DType expected) {
    open(op, arg, t);
    if (t.dtype() != expected) {
      throw new IllegalArgumentException(op + ": argument '" + arg + "': expected dtype " + expected.label()
          + " but got " + t.dtype().label());
    }
  }

  public static void sameDevice(String op, String arg, Tensor t, String refArg, Tensor ref) {
    if (t.device() != ref.device()) {
      throw new IllegalArgumentException(op + ": argument '" + arg + "': expected device " + ref.device()
          + " (the device of '" + refArg + "') but got " + t.device()
          + "; move it explicitly with Tensor.to(device)");
    }
  }

  public static void sameShape(String op, String arg, Tensor t, String refArg, Tensor ref) {
    if (!Arrays.equals(t.shape(), ref.shape())) {
      throw new IllegalArgumentException(op + ": argument '" + arg + "': expected shape "
          + Shapes.format(ref.shape()) + " (the shape of '" + refArg + "') but got " + Shapes.format(t.shape()));
    }
  }

  /** A tensor of shape [*, columns]: 2-D with a fixed last dimension. */
  public static void matrixWithColumns(String op, String arg, Tensor t, long columns) {
    if (t.dim() != 2 || t.size(1) != columns) {
      throw new IllegalArgumentException(op + ": argument '" + arg + "': expected shape [N, " + columns
          + "] but got " + Shapes.format(t.shape()));
    }
  }

  public static void oneElement(String op, String arg, Tensor t) {
    if (t.numel() != 1) {
      throw new IllegalArgumentException(op + ": argument '" + arg + "': expected a single element but got shape "
          + Shapes.format(t.shape()));
    }
  }

  public static void nonEmpty(String op, String arg, Tensor t) {
    if (t.numel() == 0) {
      throw new IllegalArgumentException(op + ": argument '" + arg
          + "': expected at least one element but the tensor is empty (shape " + Shapes.format(t.shape()) + ")");
    }
  }

  public static void atMostInt(String op, String arg, long value) {
    if (value > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(op + ": argument '" + arg + "': expected at most " + Integer.MAX_VALUE
          + " but got " + value);
    }
  }
}
