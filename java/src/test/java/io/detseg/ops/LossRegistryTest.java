package io.detseg.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.ops.registry.OpRegistry;
import io.detseg.ops.registry.OpSpec;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The loss family's ops are registered for `detseg op` and run through their specs like the CLI does. */
class LossRegistryTest {
  static final String[] OPS = {"cross_entropy", "cross_entropy_weighted", "nll_loss", "nll_loss_weighted",
      "softmax_cross_entropy_loss", "softmax_cross_entropy_loss_weighted", "softmax_focal_loss",
      "softmax_focal_loss_weighted", "binary_cross_entropy", "binary_cross_entropy_weighted",
      "binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits_weighted",
      "binary_cross_entropy_with_logits_fused", "weighted_cross_entropy", "balanced_cross_entropy",
      "sigmoid_focal_loss", "sigmoid_focal_loss_fused", "smooth_l1_loss", "l1_loss", "mse_loss",
      "rcnn_box_regression_loss", "dice_loss", "jaccard_loss", "compound_loss", "unet_weight_map", "fastrcnn_loss",
      "rpn_loss", "maskrcnn_loss", "ssd_loss", "ssd_hard_negative_mining", "yolov1_loss", "segmentation_metrics",
      "mask_iou", "coco_eval", "voc_eval"};

  @Test
  void everyOpIsRegistered() {
    for (String op : OPS) {
      assertNotNull(OpRegistry.get(op), op);
    }
  }

  @Test
  void specsRunForwardAndBackward() {
    try (Scope s = Scope.open()) {
      OpSpec ce = OpRegistry.get("cross_entropy");
      Tensor x = Tensor.of(new float[] {1, 2, 3, 0, 0, 0}, 2, 3);
      Tensor t = Tensor.of(new int[] {2, 0}, 2);
      Map<String, Tensor> in = Map.of("input", x, "target", t);
      Map<String, Tensor> out = ce.forward().apply(in, ce.params(Map.of("reduction", "sum", "label_smoothing", "0.1")));
      assertEquals(Losses.crossEntropy(x, t, null, -100, Reduction.SUM, 0.1f).item(), out.get("output").item());
      Map<String, Tensor> g = ce.backward().apply(in, ce.params(Map.of("reduction", "sum", "label_smoothing", "0.1")),
          out, Map.of("output", Tensor.scalar(io.detseg.tensor.Device.CPU, 1f)));
      assertArrayEquals(Losses.crossEntropyBackward(Tensor.scalar(io.detseg.tensor.Device.CPU, 1f), x, t, null, -100,
          Reduction.SUM, 0.1f).toFloatArray(), g.get("input").toFloatArray());
      OpSpec dice = OpRegistry.get("dice_loss");
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> dice.params(Map.of()));
      assertTrue(e.getMessage().contains("parameter 'mode' is required"), e.getMessage());
      OpSpec seg = OpRegistry.get("segmentation_metrics");
      Map<String, Tensor> m = seg.forward().apply(Map.of("prediction", Tensor.of(new int[] {0, 1, 1}, 3),
          "target", Tensor.of(new int[] {0, 1, 0}, 3)), seg.params(Map.of("num_classes", "2")));
      assertArrayEquals(new int[] {1, 1, 0, 1}, m.get("confusion_matrix").toIntArray());
      assertEquals(2f / 3, m.get("pixel_accuracy").item(), 1e-6f);
    }
  }
}
