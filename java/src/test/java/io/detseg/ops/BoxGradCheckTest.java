package io.detseg.ops;

import io.detseg.Devices;
import io.detseg.tensor.Device;
import io.detseg.tensor.Tensor;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Finite-difference checks (GradCheck) of every backward of the box family: box_area,
 * clip_boxes_to_image, box_convert (all format pairs) and generalized_box_iou (both inputs). Random
 * boxes (seeds chosen so) keep every min/max/clamp away from its kink by much more than the step h.
 */
class BoxGradCheckTest {
  static Stream<Device> devices() {
    return Devices.all();
  }

  private static float[] boxes(long seed, int n) {
    Random rnd = new Random(seed);
    float[] b = new float[4 * n];
    for (int i = 0; i < n; i++) {
      float x = rnd.nextFloat() * 60;
      float y = rnd.nextFloat() * 60;
      b[4 * i] = x;
      b[4 * i + 1] = y;
      b[4 * i + 2] = x + 5 + rnd.nextFloat() * 40;
      b[4 * i + 3] = y + 5 + rnd.nextFloat() * 40;
    }
    return b;
  }

  @ParameterizedTest
  @MethodSource("devices")
  void boxAreaGradient(Device d) {
    Devices.assumeUsable(d);
    GradCheck.check("box_area", d, boxes(1, 6), new long[] {6, 4}, Boxes::boxArea, Boxes::boxAreaBackward, 1e-2f,
        1e-3f);
  }

  @ParameterizedTest
  @MethodSource("devices")
  void clipGradient(Device d) {
    Devices.assumeUsable(d);
    float[] b = boxes(2, 8);
    for (int i = 0; i < b.length; i++) {
      b[i] = b[i] * 2 - 30; // some below 0, some above the 70 x 50 image
    }
    GradCheck.check("clip_boxes_to_image", d, b, new long[] {2, 4, 4}, x -> Boxes.clipBoxesToImage(x, 50, 70),
        (g, x) -> Boxes.clipBoxesToImageBackward(g, x, 50, 70), 1e-2f, 1e-3f);
  }

  @ParameterizedTest
  @MethodSource("devices")
  void boxConvertGradients(Device d) {
    Devices.assumeUsable(d);
    String[] fmts = {"xyxy", "xywh", "cxcywh"};
    for (String in : fmts) {
      for (String out : fmts) {
        GradCheck.check("box_convert " + in + "->" + out, d, boxes(3, 5), new long[] {5, 4},
            x -> Boxes.boxConvert(x, in, out), (g, x) -> Boxes.boxConvertBackward(g, in, out), 1e-2f, 1e-3f);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void generalizedBoxIouGradients(Device d) {
    Devices.assumeUsable(d);
    float[] b1 = boxes(4, 4);
    float[] b2 = boxes(16, 5); // every coordinate pair of b1, b2 is > 0.1 apart: no kink within h
    try (Tensor fixed2 = Tensor.of(d, b2, 5, 4)) {
      GradCheck.check("generalized_box_iou d/dboxes1", d, b1.clone(), new long[] {4, 4},
          x -> Boxes.generalizedBoxIou(x, fixed2),
          (g, x) -> Boxes.generalizedBoxIouBackward(g, x, fixed2)[0], 1e-2f, 2e-3f);
    }
    try (Tensor fixed1 = Tensor.of(d, b1, 4, 4)) {
      GradCheck.check("generalized_box_iou d/dboxes2", d, b2.clone(), new long[] {5, 4},
          x -> Boxes.generalizedBoxIou(fixed1, x),
          (g, x) -> Boxes.generalizedBoxIouBackward(g, fixed1, x)[1], 1e-2f, 2e-3f);
    }
  }
}
