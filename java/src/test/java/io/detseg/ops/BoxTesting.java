package io.detseg.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.detseg.testing.Goldens;
import io.detseg.tensor.Device;
import io.detseg.tensor.Tensor;

/** Golden loading and NaN-aware comparisons shared by the box family's tests. */
final class BoxTesting {
  private BoxTesting() {}

  static final String FAMILY = "boxes";

  /** goldens/boxes/CASE/NAME.npy on a device (the caller's Scope frees it). */
  static Tensor golden(Device d, String caseName, String name) {
    return Goldens.load(FAMILY, caseName, name, d);
  }

  static float[] floats(String caseName, String name) {
    return Goldens.floats(FAMILY, caseName, name);
  }

  static int[] ints(String caseName, String name) {
    return Goldens.ints(FAMILY, caseName, name);
  }

  static byte[] bytes(String caseName, String name) {
    return Goldens.bytes(FAMILY, caseName, name);
  }

  static long[] shape(String caseName, String name) {
    return Goldens.shape(FAMILY, caseName, name);
  }

  /**
   * |got - expected| <= atol + rtol * |expected| elementwise; a NaN must meet a NaN and an infinity the
   * same infinity.
   */
  static void assertClose(float[] expected, float[] got, double rtol, double atol, String what) {
    assertEquals(expected.length, got.length, what + ": length");
    for (int i = 0; i < expected.length; i++) {
      float e = expected[i];
      float g = got[i];
      if (Float.isNaN(e) || Float.isInfinite(e)) {
        if (Float.compare(e, g) != 0 && !(Float.isNaN(e) && Float.isNaN(g))) {
          throw new AssertionError(what + "[" + i + "]: expected " + e + " but got " + g);
        }
      } else if (!(Math.abs((double) g - e) <= atol + rtol * Math.abs(e))) {
        throw new AssertionError(what + "[" + i + "]: expected " + e + " but got " + g + " (|diff| "
            + Math.abs((double) g - e) + ")");
      }
    }
  }

  /** Bit-for-bit equal, except that any NaN equals any NaN. */
  static void assertBits(float[] expected, float[] got, String what) {
    assertEquals(expected.length, got.length, what + ": length");
    for (int i = 0; i < expected.length; i++) {
      boolean same = Float.floatToIntBits(expected[i]) == Float.floatToIntBits(got[i]);
      if (!same) {
        throw new AssertionError(what + "[" + i + "]: expected " + expected[i] + " but got " + got[i]);
      }
    }
  }

  static void assertShape(long[] expected, Tensor t, String what) {
    assertArrayEquals(expected, t.shape(), what + ": shape");
  }
}
