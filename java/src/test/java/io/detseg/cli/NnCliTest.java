package io.detseg.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.Devices;
import io.detseg.tensor.DType;
import io.detseg.tensor.Device;
import io.detseg.tensor.Npy;
import io.detseg.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The nn ops through `detseg op`: listed, and run on .npy files with their parameters on each backend. */
class NnCliTest {
  @TempDir
  Path dir;

  static final List<String> OPS = List.of("max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d",
      "max_unpool2d", "interpolate", "resize", "upsample_bed_of_nails", "batch_norm", "relu6", "leaky_relu", "sigmoid",
      "tanh", "cat", "split", "pad");

  private Path npy(String name, float[] data, long... shape) throws Exception {
    Path p = dir.resolve(name);
    try (Tensor t = Tensor.of(data, shape)) {
      Npy.write(t, p);
    }
    return p;
  }

  @Test
  void everyNnOpIsListed() {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      assertEquals(0, Main.run("op", "--list"));
    } finally {
      System.setOut(old);
    }
    String list = buf.toString(StandardCharsets.UTF_8);
    for (String op : OPS) {
      assertTrue(list.contains("\n" + op + " - ") || list.startsWith(op + " - "), op + " missing from op --list");
    }
  }

  @Test
  void maxPoolAndCatRunFromTheCommandLine() throws Exception {
    Devices.assumeUsable(Device.CUDA_SIM);
    Path x = npy("x.npy", new float[] {1, 5, 2, 0, 3, 9, 4, 8, 7, 6, 1, 2}, 1, 1, 3, 4);
    Path g = npy("g.npy", new float[] {1, 2}, 1, 1, 1, 2);
    for (String backend : new String[] {"cpu", "cuda-sim"}) {
      Path out = dir.resolve("mp-" + backend);
      assertEquals(0, Main.run("op", "max_pool2d", "--backend", backend, "--input", "input=" + x, "--param",
          "kernel_size=2,3", "--param", "stride=2", "--param", "padding=0,1", "--grad-output", "output=" + g,
          "--output-dir", out.toString()));
      try (Tensor y = Npy.read(out.resolve("output.npy")); Tensor i = Npy.read(out.resolve("indices.npy"));
          Tensor gi = Npy.read(out.resolve("grad_input.npy"))) {
        // rows 0-1; columns -1..1 and 1..3 (padding 1): both windows hold the 9 at (1, 1), flat index 5,
        // which receives both gradients
        assertArrayEquals(new float[] {9, 9}, y.toFloatArray(), backend);
        assertEquals(DType.INT32, i.dtype());
        assertArrayEquals(new int[] {5, 5}, i.toIntArray(), backend);
        assertArrayEquals(new float[] {0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0}, gi.toFloatArray(), backend);
      }
      Path cat = dir.resolve("cat-" + backend);
      Path a = npy("a.npy", new float[] {1, 2}, 1, 2);
      Path b = npy("b.npy", new float[] {3, 4, 5}, 1, 3);
      Path gc = npy("gc.npy", new float[] {10, 20, 30, 40, 50}, 1, 5);
      assertEquals(0, Main.run("op", "cat", "--backend", backend, "--input", "tensors.0=" + a, "--input",
          "tensors.1=" + b, "--param", "dim=1", "--grad-output", "output=" + gc, "--output-dir", cat.toString()));
      try (Tensor y = Npy.read(cat.resolve("output.npy")); Tensor g1 = Npy.read(cat.resolve("grad_tensors.1.npy"))) {
        assertArrayEquals(new float[] {1, 2, 3, 4, 5}, y.toFloatArray());
        assertArrayEquals(new float[] {30, 40, 50}, g1.toFloatArray());
      }
    }
  }
}
