package io.detseg.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.Devices;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** permute and narrow against index arithmetic done here, for float, int and byte tensors. */
class ViewsTest {
  static Stream<Device> devices() {
    return Devices.all();
  }

  @ParameterizedTest
  @MethodSource("devices")
  void permuteMatchesIndexArithmetic(Device d) {
    Devices.assumeUsable(d);
    int a = 2, b = 3, c = 5, e = 7;
    float[] x = new float[a * b * c * e];
    for (int i = 0; i < x.length; i++) {
      x[i] = i;
    }
    try (Scope s = Scope.open()) {
      Tensor t = Tensor.of(d, x, a, b, c, e);
      Tensor p = Views.permute(t, 0, 2, 3, 1); // NCHW -> NHWC
      assertArrayEquals(new long[] {a, c, e, b}, p.shape());
      float[] got = p.toFloatArray();
      for (int i0 = 0; i0 < a; i0++) {
        for (int i2 = 0; i2 < c; i2++) {
          for (int i3 = 0; i3 < e; i3++) {
            for (int i1 = 0; i1 < b; i1++) {
              float expected = x[((i0 * b + i1) * c + i2) * e + i3];
              int at = ((i0 * c + i2) * e + i3) * b + i1;
              if (got[at] != expected) {
                throw new AssertionError("permute at " + at + ": " + got[at] + " != " + expected);
              }
            }
          }
        }
      }
      assertArrayEquals(x, Views.permute(p, Views.inverse(new int[] {0, 2, 3, 1})).toFloatArray(), "inverse");
      Tensor bytes = Tensor.ofBytes(d, new byte[] {1, 2, 3, 4, 5, 6}, 2, 3);
      assertArrayEquals(new byte[] {1, 4, 2, 5, 3, 6}, Views.permute(bytes, 1, 0).toByteArray());
      Tensor ints = Tensor.of(d, new int[] {1, 2, 3, 4, 5, 6}, 2, 3);
      assertArrayEquals(new int[] {1, 4, 2, 5, 3, 6}, Views.permute(ints, -1, 0).toIntArray());
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void narrowSelectsARange(Device d) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      Tensor t = Tensor.of(d, new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 3, 4);
      assertArrayEquals(new float[] {1, 2, 5, 6, 9, 10}, Views.narrow(t, 1, 1, 2).toFloatArray());
      assertArrayEquals(new float[] {8, 9, 10, 11}, Views.narrow(t, 0, -1, 1).toFloatArray());
      assertArrayEquals(new long[] {3, 0}, Views.narrow(t, 1, 4, 0).shape());
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void badArgumentsAreClearErrors(Device d) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      Tensor t = Tensor.of(d, new float[6], 2, 3);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Views.permute(t, 0, 0));
      assertTrue(e.getMessage().contains("permute: argument 'dims': expected a permutation"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> Views.permute(t, 0));
      assertTrue(e.getMessage().contains("expected 2 dimensions"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> Views.narrow(t, 1, 2, 2));
      assertTrue(e.getMessage().contains("narrow: arguments 'start', 'length'"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> Views.narrow(t, 2, 0, 1));
      assertTrue(e.getMessage().contains("narrow: argument 'dim'"), e.getMessage());
    }
  }
}
