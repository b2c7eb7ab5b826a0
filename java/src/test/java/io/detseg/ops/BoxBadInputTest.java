package io.detseg.ops;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.Devices;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad calls of the box family fail in Java with a message naming the op, the argument, what was expected and what came. */
class BoxBadInputTest {
  private static void expect(Executable call, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
    }
  }

  @Test
  void boxOps() {
    Devices.assumeUsable(Device.CUDA_SIM);
    try (Scope s = Scope.open()) {
      Tensor b = Tensor.of(new float[8], 2, 4);
      Tensor sim = Tensor.of(Device.CUDA_SIM, new float[8], 2, 4);
      expect(() -> Boxes.boxArea(Tensor.of(new float[6], 2, 3)), "box_area: argument 'boxes': expected shape [N, 4]",
          "got [2, 3]");
      expect(() -> Boxes.boxArea(Tensor.of(new int[8], 2, 4)), "box_area", "expected dtype float32 but got int32");
      expect(() -> Boxes.boxArea(null), "box_area: argument 'boxes': expected a tensor but got null");
      expect(() -> Boxes.boxAreaBackward(Tensor.of(new float[3], 3), b), "box_area_backward", "grad_output",
          "[2]", "[3]");
      expect(() -> Boxes.generalizedBoxIou(b, sim), "generalized_box_iou: argument 'boxes2': expected device cpu",
          "cuda-sim");
      expect(() -> Boxes.generalizedBoxIouBackward(Tensor.of(new float[6], 2, 3), b, b),
          "generalized_box_iou_backward: argument 'grad_output': expected shape [2, 2]", "[2, 3]");
      expect(() -> Boxes.generalizedBoxIouBackward(Tensor.of(new float[3], 1, 3), b, b), "grad_output", "[1, 3]");
      expect(() -> Boxes.clipBoxesToImage(b, -1, 10), "clip_boxes_to_image: argument 'size[0] (height)'",
          "expected a value >= 0 but got -1");
      expect(() -> Boxes.clipBoxesToImage(Tensor.of(new float[5], 5), 1, 1), "clip_boxes_to_image", "[..., 4]",
          "[5]");
      expect(() -> Boxes.clipBoxesToImageBackward(Tensor.of(new float[4], 1, 4), b, 1, 1), "grad_output",
          "expected shape [2, 4]");
      expect(() -> Boxes.removeSmallBoxes(Tensor.of(new float[4], 4), 1f), "remove_small_boxes", "[N, 4]", "[4]");
      expect(() -> Boxes.boxConvert(b, "xyxy", "yxyx"), "box_convert: argument 'out_fmt'",
          "one of 'xyxy', 'xywh', 'cxcywh'", "'yxyx'");
      expect(() -> Boxes.boxConvert(b, null, "xyxy"), "box_convert: argument 'in_fmt'", "null");
      Tensor closed = Tensor.of(new float[8], 2, 4);
      closed.close();
      expect(() -> Boxes.boxArea(closed), "box_area: argument 'boxes': expected an open tensor");
    }
  }

  @Test
  void anchors() {
    float[][] s = {{32}};
    float[][] r = {{1}};
    expect(() -> Anchors.anchorGrid(Device.CPU, s, r, new int[][] {{0, 5}}, 100, 100), "anchor_grid",
        "grid_sizes[0]", "values >= 1", "[0, 5]");
    expect(() -> Anchors.anchorGrid(Device.CPU, s, r, new int[][] {{5, 5}, {2, 2}}, 100, 100), "anchor_grid",
        "'sizes'", "2 levels", "got 1");
    expect(() -> Anchors.anchorGrid(Device.CPU, s, new float[][] {{-1}}, new int[][] {{5, 5}}, 100, 100),
        "aspect_ratios[0]", "finite values > 0", "-1.0");
    expect(() -> Anchors.anchorGrid(Device.CPU, s, r, new int[][] {{5, 5}}, 0, 100), "image_size[0]", "got 0");
    expect(() -> Anchors.anchorGrid(Device.CPU, s, r, new int[][] {}, 10, 10), "grid_sizes", "at least one");
    expect(() -> Anchors.anchorGrid(Device.CPU, s, r, new int[][] {{3, 3}}, new int[][] {{1 << 30, 1}}),
        "strides[0]", "within int32");
    expect(() -> Anchors.anchorGrid(Device.CPU, new float[][] {new float[40]}, new float[][] {new float[40]},
        new int[][] {{3, 3}}, 10, 10), "sizes[0]");
    float[] many = new float[40];
    java.util.Arrays.fill(many, 1f);
    expect(() -> Anchors.anchorGrid(Device.CPU, new float[][] {many}, new float[][] {many}, new int[][] {{3, 3}}, 10,
        10), "at most 1024 anchors per cell", "1600");
    expect(() -> Anchors.anchorGrid(null, s, r, new int[][] {{3, 3}}, 10, 10), "anchor_grid: argument 'device'");
    double[][] ar = {{2, 3}};
    expect(() -> Anchors.ssdDefaultBoxes(Device.CPU, ar, new int[][] {{3, 3}, {1, 1}}, 300, 300, 0.2, 0.9,
        new double[] {0.1, 0.2}, null, true), "ssd_default_boxes: argument 'scales'", "at least 3 values", "got 2");
    expect(() -> Anchors.ssdDefaultBoxes(Device.CPU, ar, new int[][] {{3, 3}}, 300, 300, 0.2, 0.9, null,
        new int[] {8, 16}, true), "'steps'", "1 values", "got 2");
    expect(() -> Anchors.ssdDefaultBoxes(Device.CPU, new double[][] {{0}}, new int[][] {{3, 3}}, 300, 300, 0.2, 0.9,
        null, null, true), "aspect_ratios[0]", "> 0");
    expect(() -> Anchors.ssdDefaultBoxes(Device.CPU, ar, new int[][] {{3, 3}}, 300, 300, Double.NaN, 0.9, null, null,
        true), "min_ratio", "finite");
    try (Scope sc = Scope.open()) {
      Tensor x = Tensor.of(new float[2 * 14 * 4], 2, 14, 2, 2);
      expect(() -> Anchors.yoloDecode(x, new float[] {10, 13, 16, 30, 33}, 64, 64), "yolo_decode: argument 'anchors'",
          "(w, h) pairs");
      expect(() -> Anchors.yoloDecode(x, new float[] {10, 13, 16, 30, 33, 23}, 64, 64), "yolo_decode: argument 'input'",
          "A = 3 anchors", "[2, 14, 2, 2]");
      expect(() -> Anchors.yoloDecode(Tensor.of(new float[8], 2, 4), new float[] {1, 1}, 64, 64), "input",
          "[B, A*(5+C), H, W]");
      expect(() -> Anchors.yoloDecode(x, new float[] {10, 0}, 64, 64), "anchors", "> 0");
      expect(() -> Anchors.yoloDecode(x, new float[] {10, 13}, 64, -2), "image_size[1]");
    }
  }

  @Test
  void coding() {
    try (Scope s = Scope.open()) {
      Tensor b = Tensor.of(new float[8], 2, 4);
      Tensor b3 = Tensor.of(new float[12], 3, 4);
      float[] w = {1, 1, 1, 1};
      expect(() -> BoxCoding.encodeBoxes(b, b3, w), "encode_boxes: argument 'proposals': expected shape [2, 4]",
          "[3, 4]");
      expect(() -> BoxCoding.encodeBoxes(b, b, new float[] {1, 1}), "encode_boxes: argument 'weights'",
          "expected 4 values");
      expect(() -> BoxCoding.encodeBoxes(b, b, new float[] {1, 1, Float.NaN, 1}), "weights", "finite");
      expect(() -> BoxCoding.decodeBoxes(Tensor.of(new float[6], 2, 3), b, w, 4f), "decode_boxes: argument 'rel_codes'",
          "[2, 4*K]", "[2, 3]");
      expect(() -> BoxCoding.decodeBoxes(Tensor.of(new float[12], 3, 4), b, w, 4f), "rel_codes", "[3, 4]");
      expect(() -> BoxCoding.decodeBoxes(b, b, w, Float.NaN), "bbox_xform_clip");
      expect(() -> BoxCoding.decodeBoxesSsd(b, b, new float[] {0.1f, 0f}), "decode_boxes_ssd: argument 'variances'",
          "> 0");
      expect(() -> BoxCoding.encodeBoxesSsd(b, Tensor.of(new int[8], 2, 4), new float[] {0.1f, 0.2f}),
          "encode_boxes_ssd: argument 'default_boxes'", "float32");
    }
  }

  @Test
  void matching() {
    Devices.assumeUsable(Device.CUDA_SIM);
    try (Scope s = Scope.open()) {
      Tensor q = Tensor.of(new float[6], 2, 3);
      expect(() -> Matching.matchBoxes(q, 0.3f, 0.7f, false), "match_boxes: argument 'low_threshold'",
          "low_threshold <= high_threshold");
      expect(() -> Matching.matchBoxes(Tensor.of(new float[6], 6), 0.7f, 0.3f, false), "match_quality_matrix",
          "[M gt, N predictions]", "[6]");
      expect(() -> Matching.ssdMatchBoxes(q, Float.NaN), "ssd_match_boxes: argument 'threshold'");
      Tensor lab = Tensor.of(new int[] {0, 1, 0}, 3);
      expect(() -> Matching.samplePosNeg(Tensor.of(new float[3], 3), 4, 0.5, 0), "sample_pos_neg",
          "'matched_idxs'", "int32");
      expect(() -> Matching.samplePosNeg(lab, -1, 0.5, 0), "batch_size_per_image", "got -1");
      expect(() -> Matching.samplePosNeg(lab, 4, 1.5, 0), "positive_fraction", "[0, 1]", "1.5");
      expect(() -> Matching.samplePosNeg(Tensor.of(new int[8], 2, 2, 2), 4, 0.5, 0), "[N] or [B, N]");
      Tensor loss = Tensor.of(new float[3], 3);
      expect(() -> Matching.hardNegativeMining(loss, Tensor.of(new int[4], 4), 3f),
          "hard_negative_mining: argument 'labels': expected shape [3]", "[4]");
      expect(() -> Matching.hardNegativeMining(loss, Tensor.of(Device.CUDA_SIM, new int[3], 3), 3f), "labels",
          "expected device cpu");
      expect(() -> Matching.hardNegativeMining(loss, lab, -1f), "neg_pos_ratio", ">= 0");
      expect(() -> Matching.hardNegativeMining(loss, Tensor.of(new float[3], 3), 3f), "labels", "int32");
    }
  }
}
