package io.detseg.ops;

import static io.detseg.ops.BoxTesting.assertBits;
import static io.detseg.ops.BoxTesting.assertClose;
import static io.detseg.ops.BoxTesting.floats;
import static io.detseg.ops.BoxTesting.golden;
import static io.detseg.ops.BoxTesting.ints;
import static io.detseg.ops.BoxTesting.shape;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.detseg.Devices;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * anchor_grid against torchvision's AnchorGenerator, ssd_default_boxes against DefaultBoxGenerator
 * (bitwise: same float32 op order, cell anchors rounded half to even), and yolo_decode against the
 * formula's reference in tools/goldens/boxes.py (exp/sigmoid: a few ulp).
 */
class AnchorsTest {
  static Stream<Device> devices() {
    return Devices.all();
  }

  private static int[][] grids(String c) {
    int[] g = ints(c, "grid_sizes");
    int[][] out = new int[g.length / 2][];
    for (int l = 0; l < out.length; l++) {
      out[l] = new int[] {g[2 * l], g[2 * l + 1]};
    }
    return out;
  }

  @ParameterizedTest
  @MethodSource("devices")
  void anchorGridMatchesAnchorGenerator(Device d) {
    Devices.assumeUsable(d);
    float[] r3 = {0.5f, 1f, 2f};
    check(d, "anchor_default", new float[][] {{128, 256, 512}}, new float[][] {r3});
    check(d, "anchor_fpn", new float[][] {{32}, {64}, {128}, {256}, {512}}, new float[][] {r3});
    check(d, "anchor_odd", new float[][] {{16, 40.5f, 41, 43}}, new float[][] {{0.25f, 1f, 3f, 0.7f}});
  }

  private static void check(Device d, String c, float[][] sizes, float[][] ratios) {
    int[] image = ints(c, "image_size");
    try (Scope s = Scope.open()) {
      Tensor out = Anchors.anchorGrid(d, sizes, ratios, grids(c), image[0], image[1]);
      assertArrayEquals(shape(c, "output"), out.shape(), c);
      assertBits(floats(c, "output"), out.toFloatArray(), c);
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void anchorGridWithExplicitStrides(Device d) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      // one cell anchor round((-8, -8, 8, 8)) shifted by (col * 5, row * 3) on a 2 x 3 grid
      Tensor out = Anchors.anchorGrid(d, new float[][] {{16}}, new float[][] {{1}}, new int[][] {{2, 3}},
          new int[][] {{3, 5}});
      assertArrayEquals(new float[] {
          -8, -8, 8, 8, -3, -8, 13, 8, 2, -8, 18, 8,
          -8, -5, 8, 11, -3, -5, 13, 11, 2, -5, 18, 11}, out.toFloatArray());
      Tensor none = Anchors.anchorGrid(d, new float[][] {{16}}, new float[][] {{1}}, new int[][] {{0, 3}},
          new int[][] {{3, 5}});
      assertEquals(0, none.numel(), "an empty feature map has no anchors");
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void ssdDefaultBoxesMatchDefaultBoxGenerator(Device d) {
    Devices.assumeUsable(d);
    double[] r23 = {2, 3};
    ssd(d, "ssd_paper", new double[][] {r23}, 0.2, 0.9, null, null, true);
    ssd(d, "ssd300_vgg16", new double[][] {{2}, r23, r23, r23, {2}, {2}}, 0.15, 0.9,
        new double[] {0.07, 0.15, 0.33, 0.51, 0.69, 0.87, 1.05}, new int[] {8, 16, 32, 64, 100, 300}, true);
    ssd(d, "ssd_noclip_rect", new double[][] {r23}, 0.2, 0.95, null, null, false);
    ssd(d, "ssd_one_level", new double[][] {{2}}, 0.3, 0.8, null, null, true);
  }

  private static void ssd(Device d, String c, double[][] ratios, double min, double max, double[] scales, int[] steps,
      boolean clip) {
    int[] image = ints(c, "image_size");
    try (Scope s = Scope.open()) {
      Tensor out = Anchors.ssdDefaultBoxes(d, ratios, grids(c), image[0], image[1], min, max, scales, steps, clip);
      assertArrayEquals(shape(c, "output"), out.shape(), c);
      assertBits(floats(c, "output"), out.toFloatArray(), c);
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void yoloDecodeMatchesTheFormula(Device d) {
    Devices.assumeUsable(d);
    for (String c : new String[] {"yolo_small", "yolo_coco"}) {
      int[] image = ints(c, "image_size");
      try (Scope s = Scope.open()) {
        Tensor out = Anchors.yoloDecode(golden(d, c, "input"), floats(c, "anchors"), image[0], image[1]);
        assertArrayEquals(shape(c, "output"), out.shape(), c);
        assertClose(floats(c, "output"), out.toFloatArray(), 2e-6, 1e-6, c);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void yoloDecodeOfZerosIsTheGridCenterAndThePrior(Device d) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      // one image, one anchor (20 x 10 px), K = 6 (one class), a 2 x 3 grid on a 40 x 60 image
      Tensor out = Anchors.yoloDecode(Tensor.of(d, new float[36], 1, 6, 2, 3), new float[] {20, 10}, 40, 60);
      float[] o = out.toFloatArray();
      assertArrayEquals(new long[] {1, 6, 6}, out.shape());
      // cell (row 1, col 2): center ((0.5 + 2) / 3 * 60, (0.5 + 1) / 2 * 40) = (50, 30)
      assertArrayEquals(new float[] {40, 25, 60, 35, 0.5f, 0.5f}, java.util.Arrays.copyOfRange(o, 30, 36), 1e-5f);
      Tensor empty = Anchors.yoloDecode(Tensor.of(d, new float[0], 0, 6, 2, 3), new float[] {20, 10}, 40, 60);
      assertArrayEquals(new long[] {0, 6, 6}, empty.shape());
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void everyBackendAgreesWithTheCpuBitForBit(Device d) {
    Devices.assumeUsable(d);
    java.util.Random rnd = new java.util.Random(21);
    float[] x = FirstOpsTest.gaussian(rnd, 2 * 3 * 10 * 9 * 11);
    float[] anchors = {10, 13, 16, 30, 33, 23};
    try (Scope s = Scope.open()) {
      assertBits(Anchors.yoloDecode(Tensor.of(x, 2, 30, 9, 11), anchors, 288, 352).toFloatArray(),
          Anchors.yoloDecode(Tensor.of(d, x, 2, 30, 9, 11), anchors, 288, 352).toFloatArray(), "yolo");
    }
  }
}
