package io.detseg.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.Devices;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The first ops on every backend against values computed here in plain Java. Sizes cover a single
 * element, lengths that are not a multiple of any vector width, and more elements than one launch
 * grid covers, so tails, grid-stride loops and partial warps all run.
 */
class FirstOpsTest {
  static final int[] SIZES = {1, 3, 31, 257, 4099, 1_048_583};

  static Stream<Device> devices() {
    return Devices.all();
  }

  @ParameterizedTest
  @MethodSource("devices")
  void elementwiseOpsMatchJava(Device d) {
    Devices.assumeUsable(d);
    Random rnd = new Random(1);
    for (int n : SIZES) {
      float[] a = gaussian(rnd, n);
      float[] b = gaussian(rnd, n);
      a[0] = Float.NaN;
      try (Scope s = Scope.open()) {
        Tensor ta = Tensor.of(d, a);
        Tensor tb = Tensor.of(d, b);
        float[] add = Ops.add(ta, tb).toFloatArray();
        float[] mul = Ops.mul(ta, tb).toFloatArray();
        float[] relu = Ops.relu(ta).toFloatArray();
        float[] reluGrad = Ops.reluBackward(tb, ta).toFloatArray();
        for (int i = 0; i < n; i++) {
          assertBits(a[i] + b[i], add[i], "add", i);
          assertBits(a[i] * b[i], mul[i], "mul", i);
          assertBits(Float.isNaN(a[i]) ? Float.NaN : Math.max(a[i], 0f), relu[i], "relu", i);
          assertBits(a[i] <= 0 ? 0f : b[i], reluGrad[i], "relu_backward", i);
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void sumAndMaxMatchDoublePrecision(Device d) {
    Devices.assumeUsable(d);
    Random rnd = new Random(2);
    for (int n : SIZES) {
      float[] a = gaussian(rnd, n);
      double exact = 0;
      double absSum = 0;
      float max = Float.NEGATIVE_INFINITY;
      for (float v : a) {
        exact += v;
        absSum += Math.abs(v);
        max = Math.max(max, v);
      }
      try (Scope s = Scope.open()) {
        Tensor t = Tensor.of(d, a);
        Tensor sum = Ops.sum(t);
        assertEquals(0, sum.dim());
        // Float accumulation in blocks: error grows like log(n)·eps·Σ|a|, far below this bound.
        assertEquals(exact, sum.item(), 1e-6 * absSum + 1e-6, "sum of " + n);
        assertEquals(max, Ops.max(t).item(), "max of " + n);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void reductionsFollowPyTorchOnEdgeCases(Device d) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      assertEquals(0f, Ops.sum(Tensor.of(d, new float[0], 0)).item(), "sum of nothing is 0");
      assertTrue(Float.isNaN(Ops.max(Tensor.of(d, new float[] {1, Float.NaN, 3})).item()), "max propagates NaN");
      assertTrue(Float.isNaN(Ops.sum(Tensor.of(d, new float[] {1, Float.NaN})).item()));
      assertEquals(Float.NEGATIVE_INFINITY, Ops.max(Tensor.of(d, new float[] {Float.NEGATIVE_INFINITY})).item());
      assertEquals(-1f, Ops.max(Tensor.of(d, new float[] {-3, -1, -2})).item());
      assertEquals(3e38f * 2, Ops.sum(Tensor.of(d, new float[] {3e38f, 3e38f})).item(), "overflow gives inf");
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void backwardsMatchPyTorchRules(Device d) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(d, new float[] {1, 5, 5, -2, 5, 0}, 2, 3);
      Tensor g = Tensor.of(d, new float[] {3});
      Tensor max = Ops.max(x);
      // torch: the gradient of max() is split evenly among the tied maxima.
      assertArrayEquals(new float[] {0, 1, 1, 0, 1, 0}, Ops.maxBackward(g, x, max).toFloatArray());
      assertArrayEquals(new float[] {3, 3, 3, 3, 3, 3}, Ops.sumBackward(g, x).toFloatArray());
      Tensor withNaN = Tensor.of(d, new float[] {1, Float.NaN, 2, Float.NaN});
      assertArrayEquals(new float[] {0, 1.5f, 0, 1.5f},
          Ops.maxBackward(g, withNaN, Ops.max(withNaN)).toFloatArray(), "a NaN maximum routes to the NaNs");
      Tensor grad = Tensor.of(d, new float[] {1, 2, 3, 4});
      Tensor at = Tensor.of(d, new float[] {-1, 0, 0.5f, Float.NaN});
      assertArrayEquals(new float[] {0, 0, 3, 4}, Ops.reluBackward(grad, at).toFloatArray(),
          "PyTorch's threshold_backward: 0 where input <= 0, so NaN passes the gradient");
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void boxIouMatchesTorchvisionSemantics(Device d) {
    Devices.assumeUsable(d);
    Random rnd = new Random(3);
    int[][] sizes = {{1, 1}, {0, 5}, {7, 33}, {70, 129}};
    for (int[] nm : sizes) {
      float[] b1 = boxes(rnd, nm[0]);
      float[] b2 = boxes(rnd, nm[1]);
      if (nm[0] > 5) {
        // identical, degenerate (x2 < x1) and zero-area boxes, as torchvision computes them
        System.arraycopy(b2, 0, b1, 0, 4);
        b1[4] = 10; b1[5] = 10; b1[6] = 5; b1[7] = 20;
        b1[8] = 3; b1[9] = 3; b1[10] = 3; b1[11] = 3;
        System.arraycopy(b1, 8, b2, 4, 4);
      }
      try (Scope s = Scope.open()) {
        Tensor out = Ops.boxIou(Tensor.of(d, b1, nm[0], 4), Tensor.of(d, b2, nm[1], 4));
        assertArrayEquals(new long[] {nm[0], nm[1]}, out.shape());
        float[] got = out.toFloatArray();
        for (int i = 0; i < nm[0]; i++) {
          for (int j = 0; j < nm[1]; j++) {
            float expected = iou(b1, i, b2, j);
            float g = got[i * nm[1] + j];
            if (Float.isNaN(expected)) {
              assertTrue(Float.isNaN(g), "0/0 is NaN at " + i + "," + j);
            } else {
              assertEquals(expected, g, 1e-6f * Math.max(1, Math.abs(expected)), "iou " + i + "," + j);
            }
          }
        }
        if (nm[0] > 5) {
          assertEquals(1f, got[0], 1e-6f, "identical boxes");
          assertTrue(Float.isNaN(got[2 * nm[1] + 1]), "two identical zero-area boxes: 0/0");
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void everyBackendAgreesWithTheCpuBitForBit(Device d) {
    Devices.assumeUsable(d);
    Random rnd = new Random(4);
    float[] a = gaussian(rnd, 100_003);
    float[] b = gaussian(rnd, 100_003);
    float[] boxes = boxes(rnd, 300);
    try (Scope s = Scope.open()) {
      Tensor ca = Tensor.of(a);
      Tensor cb = Tensor.of(b);
      Tensor da = Tensor.of(d, a);
      Tensor db = Tensor.of(d, b);
      assertArrayEquals(Ops.mul(ca, cb).toFloatArray(), Ops.mul(da, db).toFloatArray());
      assertEquals(Ops.max(ca).item(), Ops.max(da).item());
      Tensor cbox = Tensor.of(boxes, 300, 4);
      float[] cpu = Ops.boxIou(cbox, cbox).toFloatArray();
      float[] dev = Ops.boxIou(Tensor.of(d, boxes, 300, 4), Tensor.of(d, boxes, 300, 4)).toFloatArray();
      for (int i = 0; i < cpu.length; i++) {
        assertEquals(cpu[i], dev[i], 1e-6f, "box_iou element " + i);
      }
    }
  }

  static float iou(float[] b1, int i, float[] b2, int j) {
    float a1 = (b1[4 * i + 2] - b1[4 * i]) * (b1[4 * i + 3] - b1[4 * i + 1]);
    float a2 = (b2[4 * j + 2] - b2[4 * j]) * (b2[4 * j + 3] - b2[4 * j + 1]);
    float w = Math.max(0, Math.min(b1[4 * i + 2], b2[4 * j + 2]) - Math.max(b1[4 * i], b2[4 * j]));
    float h = Math.max(0, Math.min(b1[4 * i + 3], b2[4 * j + 3]) - Math.max(b1[4 * i + 1], b2[4 * j + 1]));
    float inter = w * h;
    return inter / (a1 + a2 - inter);
  }

  static float[] boxes(Random rnd, int n) {
    float[] v = new float[4 * n];
    for (int i = 0; i < n; i++) {
      float x = rnd.nextFloat() * 200 - 20;
      float y = rnd.nextFloat() * 200 - 20;
      v[4 * i] = x;
      v[4 * i + 1] = y;
      v[4 * i + 2] = x + rnd.nextFloat() * 80;
      v[4 * i + 3] = y + rnd.nextFloat() * 80;
    }
    return v;
  }

  static float[] gaussian(Random rnd, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) rnd.nextGaussian();
    }
    return v;
  }

  private static void assertBits(float expected, float actual, String op, int i) {
    if (Float.floatToIntBits(expected) != Float.floatToIntBits(actual)) {
      throw new AssertionError(op + "[" + i + "]: expected " + expected + " but got " + actual);
    }
  }
}
