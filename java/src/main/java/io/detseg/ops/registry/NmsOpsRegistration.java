package io.detseg.ops.registry;

import io.detseg.ops.Nms;
import io.detseg.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * Registers the nms op family with `detseg op`: nms, batched_nms (torchvision.ops names and
 * parameters, plus score_threshold and max_output_boxes), soft_nms and onnx_non_max_suppression.
 * Thresholds given on the command line are parsed as float32. Semantics: docs/kernels/nms.md.
 */
final class NmsOpsRegistration {
  private NmsOpsRegistration() {}

  private static final ParamSpec IOU = new ParamSpec("iou_threshold", ParamSpec.Type.FLOAT, null,
      "a kept box suppresses later boxes with IoU > iou_threshold");
  private static final ParamSpec SCORE = new ParamSpec("score_threshold", ParamSpec.Type.FLOAT, "-Infinity",
      "only boxes with score > score_threshold are candidates; -Infinity: no filter (NaN scores are always dropped)");
  private static final ParamSpec MAX_OUT = new ParamSpec("max_output_boxes", ParamSpec.Type.INT, "-1",
      "keep at most this many boxes (the highest-scoring kept ones); -1: no limit");

  static void registerAll() {
    OpRegistry.register(new OpSpec("nms",
        "greedy non-maximum suppression as torchvision.ops.nms: boxes [N,4] (x1,y1,x2,y2), scores [N] -> int32 kept "
            + "indices by decreasing score",
        List.of("boxes", "scores"), List.of(), List.of(IOU, SCORE, MAX_OUT), List.of("keep"),
        (in, p) -> Map.of("keep", Nms.nms(in.get("boxes"), in.get("scores"), p.getFloat("iou_threshold"),
            p.getFloat("score_threshold"), p.getInt("max_output_boxes"))),
        null));
    OpRegistry.register(new OpSpec("batched_nms",
        "NMS within each class as torchvision.ops.batched_nms: boxes [N,4], scores [N], idxs [N] int32 class ids -> "
            + "int32 kept indices by decreasing score",
        List.of("boxes", "scores", "idxs"), List.of(), List.of(IOU, SCORE, MAX_OUT), List.of("keep"),
        (in, p) -> Map.of("keep", Nms.batchedNms(in.get("boxes"), in.get("scores"), in.get("idxs"),
            p.getFloat("iou_threshold"), p.getFloat("score_threshold"), p.getInt("max_output_boxes"))),
        null));
    OpRegistry.register(new OpSpec("soft_nms",
        "Soft-NMS (Bodla et al. 2017), linear or gaussian decay: boxes [N,4], scores [N] -> selected indices (keep, "
            + "int32) and their decayed scores (kept_scores)",
        List.of("boxes", "scores"), List.of(),
        List.of(new ParamSpec("sigma", ParamSpec.Type.FLOAT, "0.5", "gaussian decay: score *= exp(-IoU^2 / sigma)"),
            new ParamSpec("iou_threshold", ParamSpec.Type.FLOAT, "0.3",
                "linear decay: score *= 1 - IoU when IoU > iou_threshold"),
            new ParamSpec("score_threshold", ParamSpec.Type.FLOAT, "0.001",
                "boxes whose (decayed) score falls below this are dropped"),
            new ParamSpec("method", ParamSpec.Type.STRING, "linear", "linear or gaussian")),
        List.of("keep", "kept_scores"),
        (in, p) -> {
          Nms.SoftNmsResult r = Nms.softNms(in.get("boxes"), in.get("scores"), p.getFloat("sigma"),
              p.getFloat("iou_threshold"), p.getFloat("score_threshold"),
              Nms.SoftNmsMethod.parse("soft_nms", p.getString("method")));
          return Map.<String, Tensor>of("keep", r.keep(), "kept_scores", r.scores());
        },
        null));
    OpRegistry.register(new OpSpec("onnx_non_max_suppression",
        "ONNX NonMaxSuppression: boxes [B,N,4], scores [B,C,N] -> selected_indices [K,3] int32 (batch, class, box)",
        List.of("boxes", "scores"), List.of(),
        List.of(new ParamSpec("center_point_box", ParamSpec.Type.INT, "0",
                "0: boxes are [y1,x1,y2,x2] (any two opposite corners); 1: [x_center,y_center,width,height]"),
            new ParamSpec("max_output_boxes_per_class", ParamSpec.Type.INT, "0",
                "boxes kept per batch and class (0: none, as ONNX)"),
            new ParamSpec("iou_threshold", ParamSpec.Type.FLOAT, "0", "in [0, 1]; suppress when IoU > it"),
            new ParamSpec("score_threshold", ParamSpec.Type.FLOAT, "-Infinity",
                "boxes with score > it are candidates; -Infinity: no filter")),
        List.of("selected_indices"),
        (in, p) -> Map.of("selected_indices", Nms.onnxNonMaxSuppression(in.get("boxes"), in.get("scores"),
            p.getInt("center_point_box"), p.getInt("max_output_boxes_per_class"), p.getFloat("iou_threshold"),
            p.getFloat("score_threshold"))),
        null));
  }
}
