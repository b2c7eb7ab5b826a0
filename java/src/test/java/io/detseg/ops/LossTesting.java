package io.detseg.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.detseg.tensor.Device;
import io.detseg.tensor.Tensor;
import io.detseg.testing.Goldens;
import java.util.Random;

/** Helpers of the loss tests: tolerant comparisons, golden loading, random data. */
final class LossTesting {
  private LossTesting() {}

  /** |actual - expected| <= atol + rtol |expected| elementwise; NaN must match NaN, inf must match inf. */
  static void assertClose(float[] expected, float[] actual, double rtol, double atol, String what) {
    if (expected.length != actual.length) {
      fail(what + ": expected " + expected.length + " values but got " + actual.length);
    }
    for (int i = 0; i < expected.length; i++) {
      float e = expected[i];
      float a = actual[i];
      if (Float.isNaN(e) || Float.isInfinite(e)) {
        assertTrue(Float.compare(e, a) == 0 || (Float.isNaN(e) && Float.isNaN(a)),
            what + "[" + i + "]: expected " + e + " but got " + a);
        continue;
      }
      double tol = atol + rtol * Math.abs(e);
      if (!(Math.abs((double) a - e) <= tol)) {
        fail(what + "[" + i + "]: expected " + e + " but got " + a + " (tolerance " + tol + ")");
      }
    }
  }

  static void assertClose(Tensor expected, Tensor actual, double rtol, double atol, String what) {
    assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
    assertClose(expected.toFloatArray(), actual.toFloatArray(), rtol, atol, what);
  }

  /** A golden on the device (null when the case has no such file). */
  static Tensor golden(Device d, String caseName, String name) {
    if (!Goldens.exists("losses", caseName, name)) {
      return null;
    }
    try (Tensor host = Goldens.load("losses", caseName, name)) {
      return host.to(d);
    }
  }

  static float[] gaussian(Random rnd, int n, double scale) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (rnd.nextGaussian() * scale);
    }
    return v;
  }

  static float[] uniform(Random rnd, int n, double lo, double hi) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
    }
    return v;
  }

  static float[] binary(Random rnd, int n, double pOne) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = rnd.nextDouble() < pOne ? 1f : 0f;
    }
    return v;
  }

  static int[] classes(Random rnd, int n, int c) {
    int[] v = new int[n];
    for (int i = 0; i < n; i++) {
      v[i] = rnd.nextInt(c);
    }
    return v;
  }
}
