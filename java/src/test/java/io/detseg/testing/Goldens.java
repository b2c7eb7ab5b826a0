package io.detseg.testing;

import io.detseg.tensor.Device;
import io.detseg.tensor.Npy;
import io.detseg.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/**
 * Reference inputs and outputs made by PyTorch/torchvision (scripts in tools/goldens/, committed as
 * .npy under java/src/test/resources/goldens/FAMILY/CASE/NAME.npy).
 */
public final class Goldens {
  private Goldens() {}

  /** Loads goldens/FAMILY/CASE/NAME.npy as a CPU tensor; a missing file is a test failure. */
  public static Tensor load(String family, String caseName, String name) {
    String res = "/goldens/" + family + "/" + caseName + "/" + name + ".npy";
    URL url = Goldens.class.getResource(res);
    if (url == null) {
      throw new IllegalStateException("golden " + res + " is missing: regenerate with tools/goldens/");
    }
    try {
      return Npy.read(Path.of(url.toURI()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The golden on a device (a copy unless the device is the CPU; the caller frees it). */
  public static Tensor load(String family, String caseName, String name, Device device) {
    Tensor host = load(family, caseName, name);
    if (device == Device.CPU) {
      return host;
    }
    try (host) {
      return host.to(device);
    }
  }

  public static float[] floats(String family, String caseName, String name) {
    try (Tensor t = load(family, caseName, name)) {
      return t.toFloatArray();
    }
  }

  public static int[] ints(String family, String caseName, String name) {
    try (Tensor t = load(family, caseName, name)) {
      return t.toIntArray();
    }
  }

  public static byte[] bytes(String family, String caseName, String name) {
    try (Tensor t = load(family, caseName, name)) {
      return t.toByteArray();
    }
  }

  public static long[] shape(String family, String caseName, String name) {
    try (Tensor t = load(family, caseName, name)) {
      return t.shape();
    }
  }

  public static boolean exists(String family, String caseName, String name) {
    return Goldens.class.getResource("/goldens/" + family + "/" + caseName + "/" + name + ".npy") != null;
  }
}
