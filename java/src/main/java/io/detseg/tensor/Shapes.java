package io.detseg.tensor;

import java.util.Arrays;

/** Shape arithmetic with overflow checks: element counts are 64-bit and never wrap. */
public final class Shapes {
  private Shapes() {}

  /** Number of elements; rejects negative dimensions and products beyond Long.MAX_VALUE. */
  public static long numel(long[] shape) {
    long n = 1;
    for (int i = 0; i < shape.length; i++) {
      if (shape[i] < 0) {
        throw new IllegalArgumentException(
            "shape: expected non-negative dimensions but got " + Arrays.toString(shape));
      }
      try {
        n = Math.multiplyExact(n, shape[i]);
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException(
            "shape: element count of " + Arrays.toString(shape) + " overflows 64 bits");
      }
    }
    return n;
  }

  public static long byteSize(long[] shape, DType dtype) {
    try {
      return Math.multiplyExact(numel(shape), (long) dtype.byteSize());
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(
          "shape: byte size of " + Arrays.toString(shape) + " " + dtype.label() + " overflows 64 bits");
    }
  }

  public static String format(long[] shape) {
    return Arrays.toString(shape);
  }
}
