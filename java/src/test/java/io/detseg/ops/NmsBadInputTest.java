package io.detseg.ops;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.Devices;
import io.detseg.ops.registry.OpRegistry;
import io.detseg.tensor.DType;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad NMS calls fail in Java, naming the op, the argument, what was expected and what came. */
class NmsBadInputTest {
  @Test
  void greedyNms() {
    Devices.assumeUsable(Device.CUDA_SIM);
    try (Scope s = Scope.open()) {
      Tensor boxes = Tensor.of(new float[8], 2, 4);
      Tensor scores = Tensor.of(new float[2], 2);
      expect(() -> Nms.nms(Tensor.of(new float[6], 2, 3), scores, 0.5), "nms: argument 'boxes': expected shape [N, 4]",
          "got [2, 3]");
      expect(() -> Nms.nms(Tensor.of(new float[8], 8), scores, 0.5), "nms: argument 'boxes'", "got [8]");
      expect(() -> Nms.nms(boxes, Tensor.of(new float[3], 3), 0.5), "nms: argument 'scores': expected shape [2]",
          "got [3]");
      expect(() -> Nms.nms(boxes, Tensor.of(new float[2], 2, 1), 0.5), "nms: argument 'scores'", "got [2, 1]");
      expect(() -> Nms.nms(Tensor.of(new int[8], 2, 4), scores, 0.5),
          "nms: argument 'boxes': expected dtype float32 but got int32");
      expect(() -> Nms.nms(boxes, Tensor.of(Device.CUDA_SIM, new float[2], 2), 0.5),
          "nms: argument 'scores': expected device cpu", "got cuda-sim");
      expect(() -> Nms.nms(boxes, scores, 0.5, Double.NaN, -1), "nms: argument 'score_threshold'", "NaN");
      expect(() -> Nms.nms(boxes, scores, 0.5, 0, -2), "nms: argument 'max_output_boxes'", "got -2");
      expect(() -> Nms.nms(null, scores, 0.5), "nms: argument 'boxes': expected a tensor but got null");
      expect(() -> Nms.batchedNms(boxes, scores, Tensor.of(new float[2], 2), 0.5),
          "batched_nms: argument 'idxs': expected dtype int32 but got float32");
      expect(() -> Nms.batchedNms(boxes, scores, Tensor.of(new int[3], 3), 0.5),
          "batched_nms: argument 'idxs': expected shape [2]", "got [3]");
      expect(() -> Nms.batchedNms(boxes, scores, Tensor.of(Device.CUDA_SIM, new int[2], 2), 0.5),
          "batched_nms: argument 'idxs': expected device cpu");
      Tensor closed = Tensor.of(new float[2], 2);
      closed.close();
      expect(() -> Nms.nms(boxes, closed, 0.5), "nms: argument 'scores': expected an open tensor");
    }
  }

  @Test
  void softNms() {
    try (Scope s = Scope.open()) {
      Tensor boxes = Tensor.of(new float[8], 2, 4);
      Tensor scores = Tensor.of(new float[2], 2);
      expect(() -> Nms.softNms(boxes, scores, 0, 0.3, 0.001, Nms.SoftNmsMethod.GAUSSIAN),
          "soft_nms: argument 'sigma': expected a finite number > 0 but got 0.0");
      expect(() -> Nms.softNms(boxes, scores, Double.NaN, 0.3, 0.001, Nms.SoftNmsMethod.GAUSSIAN),
          "soft_nms: argument 'sigma'");
      expect(() -> Nms.softNms(boxes, scores, 1e-50, 0.3, 0.001, Nms.SoftNmsMethod.GAUSSIAN),
          "soft_nms: argument 'sigma'");
      expect(() -> Nms.softNms(boxes, scores, 0.5, 0.3, Double.NaN, Nms.SoftNmsMethod.LINEAR),
          "soft_nms: argument 'score_threshold'");
      expect(() -> Nms.softNms(boxes, scores, 0.5, 0.3, 0.1, null), "soft_nms: argument 'method'");
      expect(() -> Nms.SoftNmsMethod.parse("soft_nms", "hard"),
          "soft_nms: argument 'method': expected 'linear' or 'gaussian' but got 'hard'");
      expect(() -> Nms.softNms(boxes, Tensor.of(new float[3], 3), 0.5, 0.3, 0.1, Nms.SoftNmsMethod.LINEAR),
          "soft_nms: argument 'scores': expected shape [2]");
    }
  }

  @Test
  void onnxNonMaxSuppression() {
    try (Scope s = Scope.open()) {
      Tensor boxes = Tensor.of(new float[24], 1, 6, 4);
      Tensor scores = Tensor.of(new float[12], 1, 2, 6);
      String op = "onnx_non_max_suppression: argument ";
      expect(() -> Nms.onnxNonMaxSuppression(Tensor.of(new float[24], 6, 4), scores, 0, 3, 0.5f, 0f),
          op + "'boxes': expected shape [num_batches, spatial_dimension, 4] but got [6, 4]");
      expect(() -> Nms.onnxNonMaxSuppression(boxes, Tensor.of(new float[12], 1, 2, 6, 1), 0, 3, 0.5f, 0f),
          op + "'scores': expected shape [1, num_classes, 6]");
      expect(() -> Nms.onnxNonMaxSuppression(boxes, Tensor.of(new float[10], 1, 2, 5), 0, 3, 0.5f, 0f),
          op + "'scores'", "got [1, 2, 5]");
      expect(() -> Nms.onnxNonMaxSuppression(boxes, scores, 2, 3, 0.5f, 0f),
          op + "'center_point_box': expected 0 or 1 but got 2");
      expect(() -> Nms.onnxNonMaxSuppression(boxes, scores, 0, -1, 0.5f, 0f),
          op + "'max_output_boxes_per_class': expected >= 0 but got -1");
      expect(() -> Nms.onnxNonMaxSuppression(boxes, scores, 0, 3, 1.5f, 0f),
          op + "'iou_threshold': expected a value in [0, 1] but got 1.5");
      expect(() -> Nms.onnxNonMaxSuppression(boxes, scores, 0, 3, Float.NaN, 0f), op + "'iou_threshold'");
      expect(() -> Nms.onnxNonMaxSuppression(boxes, scores, 0, 3, 0.5f, Float.NaN), op + "'score_threshold'");
    }
  }

  @Test
  void registryParameters() {
    try (Scope s = Scope.open()) {
      Map<String, Tensor> in = Map.of("boxes", Tensor.of(new float[8], 2, 4), "scores", Tensor.of(new float[2], 2));
      expect(() -> OpRegistry.get("nms").params(Map.of()), "nms: parameter 'iou_threshold' is required");
      expect(() -> OpRegistry.get("nms").forward().apply(in,
          OpRegistry.get("nms").params(Map.of("iou_threshold", "0.5", "max_output_boxes", "-3"))),
          "max_output_boxes");
      expect(() -> OpRegistry.get("soft_nms").forward().apply(in,
          OpRegistry.get("soft_nms").params(Map.of("method", "cubic"))), "soft_nms: argument 'method'", "'cubic'");
      expect(() -> OpRegistry.get("nms").params(Map.of("iou_threshold", "half")), "nms: parameter 'iou_threshold'");
    }
  }

  private static void expect(Executable call, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
    }
  }
}
