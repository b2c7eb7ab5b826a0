package io.detseg.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.detseg.Devices;
import io.detseg.ops.Anchors;
import io.detseg.ops.BoxCoding;
import io.detseg.ops.Boxes;
import io.detseg.ops.Matching;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The box family's kernels under the simulator's harder checks than the test default: a shuffled
 * thread order (a fresh permutation each round) compared against forward order, and racecheck_global
 * (blocks one at a time; a word changed by two blocks without atomics fails). Results must still equal
 * the CPU's. Byte-mask rows are a multiple of 4 long here: racecheck works on 4-byte words, and two
 * rows' blocks sharing a word would be reported although byte stores never race on a GPU.
 */
class BoxKernelsSimChecksTest {
  private SimOptions saved;

  @BeforeEach
  void strictest() {
    Devices.assumeUsable(Device.CUDA_SIM);
    saved = SimDriver.open().options();
    SimDriver.open().setOptions(SimOptions.strict().withSchedules(SimOptions.Schedule.FORWARD,
        SimOptions.Schedule.SHUFFLED).withSeed(97).withRacecheckGlobal(true));
  }

  @AfterEach
  void restore() {
    if (saved != null) {
      SimDriver.open().setOptions(saved);
    }
  }

  private static void same(Function<Device, Object> op) {
    try (Scope s = Scope.open()) {
      Object cpu = op.apply(Device.CPU);
      Object sim = op.apply(Device.CUDA_SIM);
      if (cpu instanceof float[]) {
        assertArrayEquals((float[]) cpu, (float[]) sim);
      } else if (cpu instanceof int[]) {
        assertArrayEquals((int[]) cpu, (int[]) sim);
      } else {
        assertArrayEquals((byte[]) cpu, (byte[]) sim);
      }
    }
  }

  private static float[] boxes(Random rnd, int n) {
    float[] b = new float[4 * n];
    for (int i = 0; i < n; i++) {
      float x = rnd.nextFloat() * 100;
      float y = rnd.nextFloat() * 100;
      b[4 * i] = x;
      b[4 * i + 1] = y;
      b[4 * i + 2] = x + 1 + rnd.nextFloat() * 30;
      b[4 * i + 3] = y + 1 + rnd.nextFloat() * 30;
    }
    return b;
  }

  @Test
  void boxOpsAndAnchors() {
    Random rnd = new Random(5);
    float[] a = boxes(rnd, 70);
    float[] b = boxes(rnd, 45);
    float[] big = boxes(rnd, 9000);
    same(d -> Boxes.generalizedBoxIou(Tensor.of(d, a, 70, 4), Tensor.of(d, b, 45, 4)).toFloatArray());
    same(d -> Boxes.removeSmallBoxes(Tensor.of(d, big, 9000, 4), 12f).toIntArray());
    same(d -> Boxes.boxConvert(Tensor.of(d, big, 9000, 4), "xyxy", "cxcywh").toFloatArray());
    same(d -> Anchors.anchorGrid(d, new float[][] {{32, 64}, {128}}, new float[][] {{0.5f, 1, 2}},
        new int[][] {{13, 17}, {7, 9}}, 208, 272).toFloatArray());
    same(d -> Anchors.ssdDefaultBoxes(d, new double[][] {{2, 3}}, new int[][] {{10, 10}, {5, 5}}, 300, 300, 0.2, 0.9,
        null, null, true).toFloatArray());
    same(d -> Anchors.yoloDecode(Tensor.of(d, big, 2, 18, 25, 40), new float[] {10, 13, 16, 30}, 200, 320)
        .toFloatArray());
    float[] codes = new float[9000 * 4];
    for (int i = 0; i < codes.length; i++) {
      codes[i] = (float) rnd.nextGaussian();
    }
    float[] half = java.util.Arrays.copyOf(big, 4500 * 4);
    same(d -> BoxCoding.decodeBoxes(Tensor.of(d, codes, 4500, 8), Tensor.of(d, half, 4500, 4),
        new float[] {1, 1, 1, 1}, 4f).toFloatArray());
  }

  @Test
  void gradients() {
    Random rnd = new Random(6);
    float[] a = boxes(rnd, 40);
    float[] b = boxes(rnd, 70);
    float[] g = new float[40 * 70];
    for (int i = 0; i < g.length; i++) {
      g[i] = (float) rnd.nextGaussian();
    }
    // each backend's own fixed order; run twice under different schedules must give the same bits
    try (Scope s = Scope.open()) {
      Tensor[] one = Boxes.generalizedBoxIouBackward(Tensor.of(Device.CUDA_SIM, g, 40, 70),
          Tensor.of(Device.CUDA_SIM, a, 40, 4), Tensor.of(Device.CUDA_SIM, b, 70, 4));
      SimDriver.open().setOptions(SimDriver.open().options().withSeed(1234));
      Tensor[] two = Boxes.generalizedBoxIouBackward(Tensor.of(Device.CUDA_SIM, g, 40, 70),
          Tensor.of(Device.CUDA_SIM, a, 40, 4), Tensor.of(Device.CUDA_SIM, b, 70, 4));
      assertArrayEquals(one[0].toFloatArray(), two[0].toFloatArray());
      assertArrayEquals(one[1].toFloatArray(), two[1].toFloatArray());
    }
  }

  @Test
  void matchingAndSelections() {
    Random rnd = new Random(7);
    int m = 300; // more than one 256-row shared-memory tile
    int n = 1000;
    float[] q = new float[m * n];
    for (int i = 0; i < q.length; i++) {
      q[i] = rnd.nextInt(10) / 10f;
    }
    same(d -> Matching.matchBoxes(Tensor.of(d, q, m, n), 0.7f, 0.3f, true).toIntArray());
    same(d -> Matching.ssdMatchBoxes(Tensor.of(d, q, m, n), 0.5f).toIntArray());
    int rows = 3;
    int len = 4000;
    int[] labels = new int[rows * len];
    float[] loss = new float[rows * len];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = rnd.nextInt(20) == 0 ? 1 : (rnd.nextInt(10) == 0 ? -1 : 0);
      loss[i] = rnd.nextInt(30) / 7f;
    }
    same(d -> Matching.samplePosNeg(Tensor.of(d, labels, rows, len), 256, 0.25, 99)[1].toByteArray());
    same(d -> Matching.samplePosNeg(Tensor.of(d, labels, rows, len), 256, 0.25, 99)[0].toByteArray());
    same(d -> Matching.hardNegativeMining(Tensor.of(d, loss, rows, len), Tensor.of(d, labels, rows, len), 3f)[0]
        .toByteArray());
  }
}
