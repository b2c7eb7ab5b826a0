package io.detseg.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.detseg.tensor.Device;
import io.detseg.tensor.Tensor;
import io.detseg.testing.Goldens;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The RoI goldens (tools/goldens/roi.py) and comparison helpers shared by the RoI tests. */
final class RoiGoldens {
  static final String FAMILY = "roi";

  private RoiGoldens() {}

  /** Case names under goldens/roi starting with the prefix; fails (never skips) when there are none. */
  static List<String> cases(String prefix) {
    try {
      Path dir = Path.of(RoiGoldens.class.getResource("/goldens/" + FAMILY).toURI());
      try (Stream<Path> s = Files.list(dir)) {
        List<String> names = s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix)).sorted()
            .collect(Collectors.toList());
        if (names.isEmpty()) {
          throw new IllegalStateException("no RoI golden starts with " + prefix + ": run tools/goldens/roi.py");
        }
        return names;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException | NullPointerException e) {
      throw new IllegalStateException("goldens/roi missing: run tools/goldens/roi.py", e);
    }
  }

  /** A golden array as a tensor on {@code device}. */
  static Tensor load(String caseName, String name, Device device) {
    return Goldens.load(FAMILY, caseName, name, device);
  }

  static float[] floats(String caseName, String name) {
    return Goldens.floats(FAMILY, caseName, name);
  }

  static int[] ints(String caseName, String name) {
    return Goldens.ints(FAMILY, caseName, name);
  }

  static long[] shape(String caseName, String name) {
    return Goldens.shape(FAMILY, caseName, name);
  }

  /** Equal as floats (so +0 == -0), NaN equal to NaN: what "bit-equal to torchvision" means for these ops. */
  static void assertSame(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    for (int i = 0; i < expected.length; i++) {
      boolean same = expected[i] == actual[i] || (Float.isNaN(expected[i]) && Float.isNaN(actual[i]));
      if (!same) {
        throw new AssertionError(what + "[" + i + "]: expected " + expected[i] + " but got " + actual[i]
            + " (bits " + Integer.toHexString(Float.floatToRawIntBits(expected[i])) + " vs "
            + Integer.toHexString(Float.floatToRawIntBits(actual[i])) + ")");
      }
    }
  }

  /** Every float identical in its raw bits (reproducibility). */
  static void assertBits(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    for (int i = 0; i < expected.length; i++) {
      if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
        throw new AssertionError(what + "[" + i + "]: bits differ, " + expected[i] + " vs " + actual[i]);
      }
    }
  }

  static void assertClose(float[] expected, float[] actual, float rel, float abs, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], abs + rel * Math.abs(expected[i]), what + "[" + i + "]");
    }
  }

  static void assertShape(long[] expected, Tensor t, String what) {
    assertArrayEquals(expected, t.shape(), what + ": shape");
  }
}
