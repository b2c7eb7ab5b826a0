package io.detseg.ops;

import static io.detseg.ops.BoxTesting.assertBits;
import static io.detseg.ops.BoxTesting.assertClose;
import static io.detseg.ops.BoxTesting.floats;
import static io.detseg.ops.BoxTesting.golden;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.detseg.Devices;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * encode_boxes / decode_boxes against torchvision's BoxCoder (weights 1,1,1,1 and 10,10,5,5, the clamp
 * at log(1000/16), a NaN code), the SSD variance form against the paper-formula reference, and round
 * trips. log/exp come from the platform's libm, so a few ulp are allowed against torch.
 */
class BoxCodingTest {
  static Stream<Device> devices() {
    return Devices.all();
  }

  @ParameterizedTest
  @MethodSource("devices")
  void boxCoderMatchesTorchvision(Device d) {
    Devices.assumeUsable(d);
    for (String c : new String[] {"encode_w1", "encode_w10"}) {
      try (Scope s = Scope.open()) {
        Tensor out = BoxCoding.encodeBoxes(golden(d, c, "reference_boxes"), golden(d, c, "proposals"),
            floats(c, "weights"));
        assertClose(floats(c, "output"), out.toFloatArray(), 2e-6, 2e-6, c);
      }
    }
    for (String c : new String[] {"decode_w1", "decode_w10_k3"}) {
      try (Scope s = Scope.open()) {
        Tensor codes = golden(d, c, "rel_codes");
        Tensor out = BoxCoding.decodeBoxes(codes, golden(d, c, "boxes"), floats(c, "weights"),
            BoxCoding.DEFAULT_BBOX_XFORM_CLIP);
        assertArrayEquals(codes.shape(), out.shape());
        assertClose(floats(c, "output"), out.toFloatArray(), 2e-6, 2e-5, c);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void ssdVarianceFormMatchesThePaperFormula(Device d) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      String c = "ssd_encode";
      Tensor out = BoxCoding.encodeBoxesSsd(golden(d, c, "reference_boxes"), golden(d, c, "default_boxes"),
          floats(c, "variances"));
      assertClose(floats(c, "output"), out.toFloatArray(), 2e-6, 2e-6, c);
      c = "ssd_decode_k2";
      out = BoxCoding.decodeBoxesSsd(golden(d, c, "rel_codes"), golden(d, c, "default_boxes"), floats(c, "variances"));
      assertClose(floats(c, "output"), out.toFloatArray(), 2e-6, 2e-5, c);
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void decodeInvertsEncode(Device d) {
    Devices.assumeUsable(d);
    Random rnd = new Random(31);
    int n = 1000;
    float[] anchors = positive(FirstOpsTest.boxes(rnd, n));
    float[] gt = positive(FirstOpsTest.boxes(rnd, n));
    float[] w = {10, 10, 5, 5};
    try (Scope s = Scope.open()) {
      Tensor a = Tensor.of(d, anchors, n, 4);
      Tensor g = Tensor.of(d, gt, n, 4);
      Tensor back = BoxCoding.decodeBoxes(BoxCoding.encodeBoxes(g, a, w), a, w, BoxCoding.DEFAULT_BBOX_XFORM_CLIP);
      assertClose(gt, back.toFloatArray(), 1e-4, 1e-3, "BoxCoder round trip");
      Tensor back2 = BoxCoding.decodeBoxesSsd(BoxCoding.encodeBoxesSsd(g, a, new float[] {0.1f, 0.2f}), a,
          new float[] {0.1f, 0.2f});
      assertClose(gt, back2.toFloatArray(), 1e-4, 1e-3, "SSD round trip");
      // the clamp: a huge dw decodes to exp(log(1000/16)) = 62.5 times the width
      Tensor one = Tensor.of(d, new float[] {0, 0, 10, 10}, 1, 4);
      float[] big = BoxCoding.decodeBoxes(Tensor.of(d, new float[] {0, 0, 100, -100}, 1, 4), one,
          new float[] {1, 1, 1, 1}, BoxCoding.DEFAULT_BBOX_XFORM_CLIP).toFloatArray();
      assertClose(new float[] {5 - 312.5f, 5, 5 + 312.5f, 5}, big, 1e-5, 1e-4, "clamped decode");
      assertArrayEquals(new long[] {0, 8}, BoxCoding.decodeBoxes(Tensor.of(d, new float[0], 0, 8),
          Tensor.of(d, new float[0], 0, 4), w, 4f).shape());
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void everyBackendAgreesWithTheCpuBitForBit(Device d) {
    Devices.assumeUsable(d);
    Random rnd = new Random(32);
    int n = 777;
    float[] a = positive(FirstOpsTest.boxes(rnd, n));
    float[] g = positive(FirstOpsTest.boxes(rnd, n));
    float[] codes = FirstOpsTest.gaussian(rnd, n * 8);
    float[] w = {10, 10, 5, 5};
    try (Scope s = Scope.open()) {
      Tensor ca = Tensor.of(a, n, 4);
      Tensor da = Tensor.of(d, a, n, 4);
      assertBits(BoxCoding.encodeBoxes(Tensor.of(g, n, 4), ca, w).toFloatArray(),
          BoxCoding.encodeBoxes(Tensor.of(d, g, n, 4), da, w).toFloatArray(), "encode");
      assertBits(BoxCoding.decodeBoxes(Tensor.of(codes, n, 8), ca, w, 4.1f).toFloatArray(),
          BoxCoding.decodeBoxes(Tensor.of(d, codes, n, 8), da, w, 4.1f).toFloatArray(), "decode");
    }
  }

  /** Boxes with width and height at least 1 (log and division stay finite). */
  static float[] positive(float[] b) {
    for (int i = 0; i < b.length; i += 4) {
      b[i + 2] += 1;
      b[i + 3] += 1;
    }
    return b;
  }
}
