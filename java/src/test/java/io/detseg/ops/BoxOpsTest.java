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
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * box_area, generalized_box_iou, clip_boxes_to_image, remove_small_boxes and box_convert (forward and
 * backward) on every backend against torchvision 0.14 goldens (tools/goldens/boxes.py): identical,
 * degenerate, zero-area, NaN and empty inputs included. Forwards are bitwise torchvision's (same op
 * order, no FMA); backwards sum in another order than autograd, so they get a tolerance.
 */
class BoxOpsTest {
  static Stream<Device> devices() {
    return Devices.all();
  }

  @ParameterizedTest
  @MethodSource("devices")
  void boxAreaMatchesTorchvision(Device d) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      Tensor boxes = golden(d, "area_random", "boxes");
      Tensor out = Boxes.boxArea(boxes);
      assertArrayEquals(shape("area_random", "output"), out.shape());
      assertBits(floats("area_random", "output"), out.toFloatArray(), "box_area");
      Tensor grad = Boxes.boxAreaBackward(golden(d, "area_random", "grad_output"), boxes);
      assertClose(floats("area_random", "grad_boxes"), grad.toFloatArray(), 1e-6, 0, "box_area grad");
      Tensor empty = Boxes.boxArea(golden(d, "area_empty", "boxes"));
      assertArrayEquals(new long[] {0}, empty.shape());
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void generalizedBoxIouMatchesTorchvision(Device d) {
    Devices.assumeUsable(d);
    for (String c : new String[] {"giou_odd", "giou_large", "giou_one"}) {
      try (Scope s = Scope.open()) {
        Tensor b1 = golden(d, c, "boxes1");
        Tensor b2 = golden(d, c, "boxes2");
        Tensor out = Boxes.generalizedBoxIou(b1, b2);
        assertArrayEquals(shape(c, "output"), out.shape());
        assertBits(floats(c, "output"), out.toFloatArray(), c);
        Tensor[] g = Boxes.generalizedBoxIouBackward(golden(d, c, "grad_output"), b1, b2);
        // autograd sums the M (N) terms of each gradient in another order
        assertClose(floats(c, "grad_boxes1"), g[0].toFloatArray(), 1e-4, 1e-5, c + " grad_boxes1");
        assertClose(floats(c, "grad_boxes2"), g[1].toFloatArray(), 1e-4, 1e-5, c + " grad_boxes2");
      }
    }
    try (Scope s = Scope.open()) {
      Tensor b1 = golden(d, "giou_empty", "boxes1");
      Tensor b2 = golden(d, "giou_empty", "boxes2");
      assertArrayEquals(new long[] {0, 3}, Boxes.generalizedBoxIou(b1, b2).shape());
      Tensor[] g = Boxes.generalizedBoxIouBackward(Tensor.of(d, new float[0], 0, 3), b1, b2);
      assertArrayEquals(new long[] {0, 4}, g[0].shape());
      assertArrayEquals(new float[12], g[1].toFloatArray(), "no pairs: zero gradient for boxes2");
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void clipBoxesToImageMatchesTorchvision(Device d) {
    Devices.assumeUsable(d);
    for (String c : new String[] {"clip_3d", "clip_zero_height"}) {
      try (Scope s = Scope.open()) {
        int[] size = ints(c, "size");
        Tensor boxes = golden(d, c, "boxes");
        Tensor out = Boxes.clipBoxesToImage(boxes, size[0], size[1]);
        assertArrayEquals(boxes.shape(), out.shape());
        assertBits(floats(c, "output"), out.toFloatArray(), c);
        Tensor g = Boxes.clipBoxesToImageBackward(golden(d, c, "grad_output"), boxes, size[0], size[1]);
        assertBits(floats(c, "grad_boxes"), g.toFloatArray(), c + " grad");
      }
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void removeSmallBoxesMatchesTorchvision(Device d) {
    Devices.assumeUsable(d);
    for (String c : new String[] {"remove_small", "remove_small_none"}) {
      try (Scope s = Scope.open()) {
        Tensor keep = Boxes.removeSmallBoxes(golden(d, c, "boxes"), floats(c, "min_size")[0]);
        assertArrayEquals(ints(c, "output"), keep.toIntArray(), c);
      }
    }
    try (Scope s = Scope.open()) {
      assertEquals(0, Boxes.removeSmallBoxes(Tensor.of(d, new float[0], 0, 4), 1f).numel());
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void removeSmallBoxesKeepsOrderAcrossManyBlocks(Device d) {
    Devices.assumeUsable(d);
    Random rnd = new Random(11);
    int n = 70_001; // several CUDA chunks, a partial last tile
    float[] b = new float[4 * n];
    int expected = 0;
    for (int i = 0; i < n; i++) {
      float w = rnd.nextFloat() * 20;
      float h = rnd.nextFloat() * 20;
      b[4 * i] = rnd.nextFloat() * 100;
      b[4 * i + 1] = rnd.nextFloat() * 100;
      b[4 * i + 2] = b[4 * i] + w;
      b[4 * i + 3] = b[4 * i + 1] + h;
      if (b[4 * i + 2] - b[4 * i] >= 8f && b[4 * i + 3] - b[4 * i + 1] >= 8f) {
        expected++;
      }
    }
    try (Scope s = Scope.open()) {
      int[] keep = Boxes.removeSmallBoxes(Tensor.of(d, b, n, 4), 8f).toIntArray();
      assertEquals(expected, keep.length);
      int[] cpu = Boxes.removeSmallBoxes(Tensor.of(b, n, 4), 8f).toIntArray();
      assertArrayEquals(cpu, keep);
      for (int i = 1; i < keep.length; i++) {
        if (keep[i] <= keep[i - 1]) {
          throw new AssertionError("indices not ascending at " + i);
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void boxConvertMatchesTorchvisionForEveryPair(Device d) {
    Devices.assumeUsable(d);
    String[] fmts = {"xyxy", "xywh", "cxcywh"};
    for (String in : fmts) {
      for (String out : fmts) {
        String c = "convert_" + in + "_" + out;
        try (Scope s = Scope.open()) {
          Tensor boxes = golden(d, c, "boxes");
          assertBits(floats(c, "output"), Boxes.boxConvert(boxes, in, out).toFloatArray(), c);
          Tensor g = Boxes.boxConvertBackward(golden(d, c, "grad_output"), in, out);
          assertClose(floats(c, "grad_boxes"), g.toFloatArray(), 1e-6, 1e-7, c + " grad");
        }
      }
    }
    try (Scope s = Scope.open()) { // any [..., 4] shape, as torchvision's unbind(-1)
      Tensor b = Tensor.of(d, new float[] {0, 0, 4, 2, 1, 1, 3, 5}, 1, 2, 4);
      Tensor o = Boxes.boxConvert(b, "xyxy", "cxcywh");
      assertArrayEquals(new long[] {1, 2, 4}, o.shape());
      assertArrayEquals(new float[] {2, 1, 4, 2, 2, 3, 2, 4}, o.toFloatArray());
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void everyBackendAgreesWithTheCpuBitForBit(Device d) {
    Devices.assumeUsable(d);
    Random rnd = new Random(12);
    int n = 300;
    int m = 517;
    float[] b1 = FirstOpsTest.boxes(rnd, n);
    float[] b2 = FirstOpsTest.boxes(rnd, m);
    try (Scope s = Scope.open()) {
      Tensor c1 = Tensor.of(b1, n, 4);
      Tensor c2 = Tensor.of(b2, m, 4);
      Tensor d1 = Tensor.of(d, b1, n, 4);
      Tensor d2 = Tensor.of(d, b2, m, 4);
      assertBits(Boxes.generalizedBoxIou(c1, c2).toFloatArray(), Boxes.generalizedBoxIou(d1, d2).toFloatArray(),
          "giou");
      assertBits(Boxes.boxArea(c2).toFloatArray(), Boxes.boxArea(d2).toFloatArray(), "area");
      assertBits(Boxes.clipBoxesToImage(c2, 90, 70).toFloatArray(), Boxes.clipBoxesToImage(d2, 90, 70).toFloatArray(),
          "clip");
      assertBits(Boxes.boxConvert(c2, "cxcywh", "xywh").toFloatArray(),
          Boxes.boxConvert(d2, "cxcywh", "xywh").toFloatArray(), "convert");
      float[] g = FirstOpsTest.gaussian(rnd, n * m);
      Tensor[] cg = Boxes.generalizedBoxIouBackward(Tensor.of(g, n, m), c1, c2);
      Tensor[] dg = Boxes.generalizedBoxIouBackward(Tensor.of(d, g, n, m), d1, d2);
      // the CPU and the CUDA kernels fold the sums in different (each fixed) orders
      assertClose(cg[0].toFloatArray(), dg[0].toFloatArray(), 1e-4, 1e-5, "giou grad1");
      assertClose(cg[1].toFloatArray(), dg[1].toFloatArray(), 1e-4, 1e-5, "giou grad2");
      // and each backend is reproducible run after run
      assertBits(dg[0].toFloatArray(), Boxes.generalizedBoxIouBackward(Tensor.of(d, g, n, m), d1, d2)[0].toFloatArray(),
          "giou grad1 rerun");
    }
  }
}
