package io.detseg.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.Devices;
import io.detseg.tensor.Device;
import io.detseg.tensor.Npy;
import io.detseg.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The conv family through `detseg op`: registered names, parameters as text, gradients as files. */
class ConvCliTest {
  @TempDir
  Path dir;

  private Path npy(String name, float[] data, long... shape) throws Exception {
    Path p = dir.resolve(name);
    try (Tensor t = Tensor.of(data, shape)) {
      Npy.write(t, p);
    }
    return p;
  }

  private static float[] read(Path p) throws Exception {
    try (Tensor t = Npy.read(p)) {
      return t.toFloatArray();
    }
  }

  @Test
  void listShowsTheConvOps() {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      assertEquals(0, Main.run("op", "--list"));
    } finally {
      System.setOut(old);
    }
    String all = "\n" + buf.toString(StandardCharsets.UTF_8);
    for (String op : new String[] {"matmul", "linear", "conv2d", "conv_transpose2d", "onnx_conv",
        "onnx_conv_transpose"}) {
      assertTrue(all.contains("\n" + op + " - "), "missing " + op + " in" + all);
    }
  }

  @Test
  void conv2dWithSamePaddingAndItsGradientsOnEachBackend() throws Exception {
    Devices.assumeUsable(Device.CUDA_SIM);
    // 1 x 1 x 3 x 3 input, a 2 x 2 kernel of ones, "same" (total padding 1, the extra at bottom/right)
    Path x = npy("x.npy", new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3);
    Path w = npy("w.npy", new float[] {1, 1, 1, 1}, 1, 1, 2, 2);
    Path b = npy("b.npy", new float[] {0.5f}, 1);
    Path g = npy("g.npy", new float[] {1, 1, 1, 1, 1, 1, 1, 1, 1}, 1, 1, 3, 3);
    for (String backend : new String[] {"cpu", "cuda-sim"}) {
      Path out = dir.resolve("out-" + backend);
      assertEquals(0, Main.run("op", "conv2d", "--backend", backend, "--input", "input=" + x, "--input", "weight=" + w,
          "--input", "bias=" + b, "--param", "padding=same", "--grad-output", "output=" + g, "--output-dir",
          out.toString()));
      assertArrayEquals(new float[] {12.5f, 16.5f, 9.5f, 24.5f, 28.5f, 15.5f, 15.5f, 17.5f, 9.5f},
          read(out.resolve("output.npy")), 1e-6f, backend);
      assertArrayEquals(new float[] {9f}, read(out.resolve("grad_bias.npy")), 1e-6f, backend);
      assertArrayEquals(new float[] {45f, 33f, 39f, 28f}, read(out.resolve("grad_weight.npy")), 1e-5f, backend);
      assertArrayEquals(new float[] {1, 2, 2, 2, 4, 4, 2, 4, 4}, read(out.resolve("grad_input.npy")), 1e-6f, backend);
    }
  }

  @Test
  void convTranspose2dTakesOutputSize() throws Exception {
    Path x = npy("tx.npy", new float[] {1, 2, 3, 4}, 1, 1, 2, 2);
    Path w = npy("tw.npy", new float[] {1, 1, 1, 1}, 1, 1, 2, 2);
    Path b = npy("tb.npy", new float[] {0}, 1);
    Path out = dir.resolve("t");
    assertEquals(0, Main.run("op", "conv_transpose2d", "--input", "input=" + x, "--input", "weight=" + w, "--input",
        "bias=" + b, "--param", "stride=2", "--param", "output_size=5,4", "--output-dir", out.toString()));
    try (Tensor t = Npy.read(out.resolve("output.npy"))) {
      assertArrayEquals(new long[] {1, 1, 5, 4}, t.shape());
      assertArrayEquals(new float[] {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4, 0, 0, 0, 0}, t.toFloatArray());
    }
    assertEquals(2, Main.run("op", "conv_transpose2d", "--input", "input=" + x, "--input", "weight=" + w, "--input",
        "bias=" + b, "--param", "stride=2", "--param", "output_size=6,4", "--output-dir", out.toString()));
  }
}
