package io.detseg.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.detseg.Devices;
import io.detseg.ops.registry.OpRegistry;
import io.detseg.ops.registry.OpSpec;
import io.detseg.tensor.DType;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The four NMS ops through the registry `detseg op` uses, with its string parameters. */
class NmsRegistryTest {
  static Stream<Device> devices() {
    return Devices.all();
  }

  @ParameterizedTest
  @MethodSource("devices")
  void registeredOpsRunWithTheirParameters(Device d) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      // Three overlapping boxes and one apart; class 1 for box 2.
      Tensor boxes = Tensor.of(d, new float[] {0, 0, 10, 10, 1, 1, 11, 11, 0, 0, 10, 9, 50, 50, 60, 60}, 4, 4);
      Tensor scores = Tensor.of(d, new float[] {0.9f, 0.8f, 0.7f, 0.1f});
      Tensor idxs = Tensor.of(d, new int[] {0, 0, 1, 0});
      Map<String, Tensor> in = Map.of("boxes", boxes, "scores", scores, "idxs", idxs);

      assertArrayEquals(new int[] {0, 3}, run("nms", in, Map.of("iou_threshold", "0.5")).get("keep").toIntArray());
      assertArrayEquals(new int[] {0},
          run("nms", in, Map.of("iou_threshold", "0.5", "score_threshold", "0.5")).get("keep").toIntArray());
      assertArrayEquals(new int[] {0, 2},
          run("batched_nms", in, Map.of("iou_threshold", "0.5", "max_output_boxes", "2")).get("keep").toIntArray());
      Map<String, Tensor> soft = run("soft_nms", in, Map.of("method", "gaussian", "score_threshold", "0.05"));
      assertEquals(DType.INT32, soft.get("keep").dtype());
      assertEquals(DType.FLOAT32, soft.get("kept_scores").dtype());
      assertEquals(0, soft.get("keep").toIntArray()[0]);
      assertEquals(0.9f, soft.get("kept_scores").toFloatArray()[0]);

      Map<String, Tensor> onnxIn = Map.of("boxes", Tensor.of(d, new float[] {0, 0, 10, 10, 1, 1, 11, 11}, 1, 2, 4),
          "scores", Tensor.of(d, new float[] {0.2f, 0.9f}, 1, 1, 2));
      Tensor sel = run("onnx_non_max_suppression", onnxIn, Map.of("max_output_boxes_per_class", "5",
          "iou_threshold", "0.5")).get("selected_indices");
      assertArrayEquals(new long[] {1, 3}, sel.shape());
      assertArrayEquals(new int[] {0, 0, 1}, sel.toIntArray());
      assertArrayEquals(new long[] {0, 3},
          run("onnx_non_max_suppression", onnxIn, Map.of()).get("selected_indices").shape(),
          "ONNX's default max_output_boxes_per_class is 0");
    }
  }

  private static Map<String, Tensor> run(String name, Map<String, Tensor> all, Map<String, String> params) {
    OpSpec op = OpRegistry.get(name);
    Map<String, Tensor> in = new java.util.HashMap<>();
    for (String k : op.inputs()) {
      in.put(k, all.get(k));
    }
    return op.forward().apply(in, op.params(params));
  }
}
