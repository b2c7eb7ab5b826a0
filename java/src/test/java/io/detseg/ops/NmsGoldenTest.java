package io.detseg.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.Devices;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import io.detseg.testing.Goldens;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every case of goldens/nms (tools/goldens/nms.py: torchvision 0.14 for nms / batched_nms, the
 * script's references for Soft-NMS and ONNX NonMaxSuppression) on every backend. Indices must match
 * exactly; Soft-NMS scores to a few ulps (the CUDA expf may differ from the host's by 2 ulps; CPU and
 * CUDA_SIM use the host's and are compared bit for bit in NmsTest).
 */
class NmsGoldenTest {
  static final String FAMILY = "nms";

  static List<String> cases() throws IOException, URISyntaxException {
    URL root = NmsGoldenTest.class.getResource("/goldens/" + FAMILY);
    if (root == null) {
      throw new IllegalStateException("goldens/" + FAMILY + " missing: run /usr/bin/python3 tools/goldens/nms.py");
    }
    try (Stream<Path> s = Files.list(Path.of(root.toURI()))) {
      List<String> names = s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted()
          .collect(Collectors.toList());
      assertTrue(names.size() >= 40, "expected the 44 golden cases, found " + names.size());
      return names;
    }
  }

  static Stream<Arguments> casesOnDevices() throws IOException, URISyntaxException {
    List<Arguments> out = new ArrayList<>();
    for (Device d : Devices.all().collect(Collectors.toList())) {
      for (String c : cases()) {
        out.add(Arguments.of(d, c));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{1} on {0}")
  @MethodSource("casesOnDevices")
  void matchesGolden(Device d, String name) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      Tensor boxes = load(name, "boxes").to(d);
      Tensor scores = load(name, "scores").to(d);
      if (name.startsWith("nms_") || name.startsWith("batched_")) {
        double iou = load(name, "iou_threshold").toFloatArray()[0];
        double scoreThreshold = load(name, "score_threshold").toFloatArray()[0];
        long maxOut = load(name, "max_output_boxes").toIntArray()[0];
        Tensor keep = name.startsWith("nms_")
            ? Nms.nms(boxes, scores, iou, scoreThreshold, maxOut)
            : Nms.batchedNms(boxes, scores, load(name, "idxs").to(d), iou, scoreThreshold, maxOut);
        assertEquals(d, keep.device());
        assertArrayEquals(load(name, "keep").toIntArray(), keep.toIntArray(), name + " on " + d);
      } else if (name.startsWith("soft_")) {
        int method = load(name, "method").toIntArray()[0];
        try (Nms.SoftNmsResult r = Nms.softNms(boxes, scores, load(name, "sigma").toFloatArray()[0],
            load(name, "iou_threshold").toFloatArray()[0], load(name, "score_threshold").toFloatArray()[0],
            method == 0 ? Nms.SoftNmsMethod.LINEAR : Nms.SoftNmsMethod.GAUSSIAN)) {
          assertArrayEquals(load(name, "keep").toIntArray(), r.keep().toIntArray(), name + " on " + d);
          float[] want = load(name, "kept_scores").toFloatArray();
          float[] got = r.scores().toFloatArray();
          assertEquals(want.length, got.length);
          for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 4 * Math.ulp(want[i]), name + " score " + i + " on " + d);
          }
        }
      } else if (name.startsWith("onnx_")) {
        Tensor sel = Nms.onnxNonMaxSuppression(boxes, scores, load(name, "center_point_box").toIntArray()[0],
            load(name, "max_output_boxes_per_class").toIntArray()[0], load(name, "iou_threshold").toFloatArray()[0],
            load(name, "score_threshold").toFloatArray()[0]);
        Tensor want = load(name, "selected_indices");
        assertArrayEquals(want.shape(), sel.shape(), name + " shape on " + d);
        assertArrayEquals(want.toIntArray(), sel.toIntArray(), name + " on " + d);
      } else {
        throw new IllegalStateException("unknown golden case kind: " + name);
      }
    }
  }

  private static Tensor load(String name, String array) {
    return Goldens.load(FAMILY, name, array);
  }
}
