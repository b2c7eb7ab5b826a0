package io.detseg.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.Devices;
import io.detseg.onnx.OnnxModel;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import io.detseg.testing.OnnxConformance;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** ONNX's test_nonmaxsuppression_* conformance cases (Debian's libonnx-testdata) on every backend. */
class NmsOnnxConformanceTest {
  static Stream<Arguments> cases() throws Exception {
    List<Path> found = OnnxConformance.cases("test_nonmaxsuppression_");
    assertEquals(9, found.size(), "libonnx-testdata holds 9 NonMaxSuppression cases: " + found);
    List<Arguments> out = new ArrayList<>();
    for (Device d : Devices.all().collect(Collectors.toList())) {
      for (Path p : found) {
        out.add(Arguments.of(d, p.getFileName().toString()));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{1} on {0}")
  @MethodSource("cases")
  void passes(Device d, String name) throws Exception {
    Devices.assumeUsable(d);
    Path dir = OnnxConformance.ROOT.resolve(name);
    OnnxModel model = OnnxConformance.model(dir);
    assertEquals("NonMaxSuppression", model.opType());
    int centerPointBox = (int) model.intAttr("center_point_box", 0);
    List<String> inputs = model.nodeInputs();
    int sets = 0;
    for (OnnxConformance.DataSet set : OnnxConformance.dataSets(dir)) {
      try (set; Scope s = Scope.open()) {
        List<Tensor> in = set.inputs();
        // Optional inputs in graph order: max_output_boxes_per_class (default 0), iou_threshold (0),
        // score_threshold (none).
        long maxPerClass = input(inputs, in, 2) == null ? 0 : input(inputs, in, 2).toIntArray()[0];
        float iou = input(inputs, in, 3) == null ? 0f : input(inputs, in, 3).toFloatArray()[0];
        float scoreThreshold = input(inputs, in, 4) == null ? Float.NEGATIVE_INFINITY
            : input(inputs, in, 4).toFloatArray()[0];
        Tensor got = Nms.onnxNonMaxSuppression(in.get(0).to(d), in.get(1).to(d), centerPointBox, maxPerClass, iou,
            scoreThreshold);
        Tensor want = set.outputs().get(0);
        assertArrayEquals(want.shape(), got.shape(), name + " on " + d);
        assertArrayEquals(want.toIntArray(), got.toIntArray(), name + " on " + d);
        sets++;
      }
    }
    assertTrue(sets > 0, name + " has no test_data_set");
  }

  /** The tensor of node input k, or null when the node leaves that optional input out. */
  private static Tensor input(List<String> nodeInputs, List<Tensor> values, int k) {
    if (k >= nodeInputs.size() || nodeInputs.get(k).isEmpty()) {
      return null;
    }
    int position = 0;
    for (int i = 0; i < k; i++) {
      if (!nodeInputs.get(i).isEmpty()) {
        position++;
      }
    }
    return values.get(position);
  }
}
