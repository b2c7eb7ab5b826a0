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
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
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

  private static String[] captureOut(Runnable r) {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      r.run();
    } finally {
      System.setOut(old);
    }
    return buf.toString(StandardCharsets.UTF_8).split("\n");
  }

  @Test
  void opRunsForwardAndBackwardOnNpyFilesOnEachBackend() throws Exception {
    Devices.assumeUsable(Device.CUDA_SIM);
    Path a = npy("a.npy", new float[] {1, -2, 3, -4}, 2, 2);
    Path b = npy("b.npy", new float[] {10, 20, 30, 40}, 2, 2);
    Path g = npy("g.npy", new float[] {1, 1, 2, 2}, 2, 2);
    for (String backend : new String[] {"cpu", "cuda-sim"}) {
      Path out = dir.resolve("out-" + backend);
      int code = Main.run("op", "mul", "--backend", backend, "--input", "input=" + a, "--input", "other=" + b,
          "--grad-output", "output=" + g, "--output-dir", out.toString());
      assertEquals(0, code);
      assertArrayEquals(new float[] {10, -40, 90, -160}, read(out.resolve("output.npy")));
      assertArrayEquals(new float[] {10, 20, 60, 80}, read(out.resolve("grad_input.npy")));
      assertArrayEquals(new float[] {1, -2, 6, -8}, read(out.resolve("grad_other.npy")));
    }
  }

  @Test
  void boxIouTakesTorchvisionNames() throws Exception {
    Path b1 = npy("b1.npy", new float[] {0, 0, 10, 10}, 1, 4);
    Path b2 = npy("b2.npy", new float[] {0, 0, 10, 10, 5, 0, 15, 10}, 2, 4);
    Path out = dir.resolve("iou");
    assertEquals(0, Main.run("op", "box_iou", "--input", "boxes1=" + b1, "--input", "boxes2=" + b2,
        "--output-dir", out.toString()));
    try (Tensor t = Npy.read(out.resolve("output.npy"))) {
      assertArrayEquals(new long[] {1, 2}, t.shape());
      assertArrayEquals(new float[] {1f, 50f / 150f}, t.toFloatArray(), 1e-7f);
    }
  }

  @Test
  void listShowsEveryOpWithItsInputsAndOutputs() {
    String[] lines = captureOut(() -> assertEquals(0, Main.run("op", "--list")));
    String all = String.join("\n", lines);
    for (String op : new String[] {"add", "mul", "relu", "sum", "max", "box_iou"}) {
      assertTrue(all.contains("\n" + op + " - ") || all.startsWith(op + " - "), "missing " + op + " in\n" + all);
    }
    assertTrue(all.contains("inputs:  boxes1, boxes2"), all);
  }

  @Test
  void mistakesExitWithCodeTwoAndAMessage() throws Exception {
    Path a = npy("x.npy", new float[] {1, 2}, 2);
    assertEquals(2, Main.run("op", "nosuchop", "--input", "input=" + a, "--output-dir", dir.toString()));
    assertEquals(2, Main.run("op", "relu", "--output-dir", dir.toString()));
    assertEquals(2, Main.run("op", "relu", "--input", "input=" + a, "--param", "alpha=1", "--output-dir",
        dir.toString()));
    assertEquals(2, Main.run("op", "box_iou", "--input", "boxes1=" + a, "--input", "boxes2=" + a,
        "--grad-output", "output=" + a, "--output-dir", dir.toString()));
    assertEquals(2, Main.run("op", "relu", "--backend", "tpu", "--input", "input=" + a, "--output-dir",
        dir.toString()));
    assertEquals(2, Main.run("op", "relu", "--input", "input=" + dir.resolve("missing.npy"), "--output-dir",
        dir.toString()));
    assertTrue(Files.notExists(dir.resolve("output.npy")));
  }

  @Test
  void devicesListsAllThreeBackendsWithAReasonWhenUnusable() {
    String[] lines = captureOut(() -> assertEquals(0, Main.run("devices")));
    assertEquals(3, lines.length, String.join("\n", lines));
    assertTrue(lines[0].startsWith("cpu") && lines[0].contains("usable"), lines[0]);
    assertTrue(lines[1].startsWith("cuda "), lines[1]);
    assertTrue(lines[1].contains("usable") || lines[1].contains("unavailable"), lines[1]);
    assertTrue(lines[2].startsWith("cuda-sim") && lines[2].contains("usable"), lines[2]);
  }

  @Test
  void selfcheckPassesOnThisMachine() {
    String[] lines = captureOut(() -> assertEquals(0, Main.run("selfcheck", "--size", "5000", "--boxes", "40")));
    assertTrue(lines[lines.length - 1].contains("selfcheck passed"), String.join("\n", lines));
  }
}
