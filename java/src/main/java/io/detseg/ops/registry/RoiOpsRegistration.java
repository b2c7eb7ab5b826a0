package io.detseg.ops.registry;

import io.detseg.ops.Roi;
import io.detseg.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Registers the roi op family with `detseg op`: roi_align, roi_pool, multi_scale_roi_align, onnx_roi_align. */
final class RoiOpsRegistration {
  private RoiOpsRegistration() {}

  private static final ParamSpec OUTPUT_SIZE = new ParamSpec("output_size", ParamSpec.Type.INT_LIST, null,
      "pooled (height, width), or one int for both");
  private static final ParamSpec SPATIAL_SCALE = new ParamSpec("spatial_scale", ParamSpec.Type.FLOAT, "1.0",
      "box coordinates are multiplied by this to reach feature-map pixels");
  private static final ParamSpec SAMPLING_RATIO = new ParamSpec("sampling_ratio", ParamSpec.Type.INT, "-1",
      "samples per bin and axis; <= 0: ceil(roi_size / output_size) (adaptive)");
  private static final ParamSpec ALIGNED = new ParamSpec("aligned", ParamSpec.Type.BOOL, "false",
      "shift boxes by -0.5 pixel (pixel-centre model); false forces malformed boxes to 1x1");
  private static final ParamSpec DETERMINISTIC = new ParamSpec("deterministic", ParamSpec.Type.BOOL, "true",
      "backward on CUDA: bitwise reproducible gather kernels (true) or atomicAdd scatter (false); CPU is always"
          + " deterministic");
  static final List<String> FPN_INPUTS = List.of("feature_0", "feature_1", "feature_2", "feature_3");

  static void registerAll() {
    OpRegistry.register(new OpSpec("roi_align",
        "torchvision.ops.roi_align: input [N,C,H,W], boxes [K,5] (batch index, x1, y1, x2, y2) -> [K,C,PH,PW]",
        List.of("input", "boxes"), List.of("input"),
        List.of(OUTPUT_SIZE, SPATIAL_SCALE, SAMPLING_RATIO, ALIGNED, DETERMINISTIC), List.of("output"),
        (in, p) -> Map.of("output", Roi.roiAlign(in.get("input"), in.get("boxes"), p.getIntList("output_size"),
            p.getFloat("spatial_scale"), p.getInt("sampling_ratio"), p.getBool("aligned"))),
        (in, p, out, g) -> Map.of("input", Roi.roiAlignBackward(g.get("output"), in.get("boxes"),
            in.get("input").shape(), p.getFloat("spatial_scale"), p.getInt("sampling_ratio"), p.getBool("aligned"),
            p.getBool("deterministic")))));
    OpRegistry.register(new OpSpec("roi_pool",
        "torchvision.ops.roi_pool: max over integer bins -> output [K,C,PH,PW] and argmax (int32 plane index, -1 empty)",
        List.of("input", "boxes"), List.of("input"), List.of(OUTPUT_SIZE, SPATIAL_SCALE, DETERMINISTIC),
        List.of("output", "argmax"),
        (in, p) -> {
          Roi.PoolResult r = Roi.roiPool(in.get("input"), in.get("boxes"), p.getIntList("output_size"),
              p.getFloat("spatial_scale"));
          return Map.of("output", r.output(), "argmax", r.argmax());
        },
        (in, p, out, g) -> Map.of("input", Roi.roiPoolBackward(g.get("output"), in.get("boxes"), out.get("argmax"),
            in.get("input").shape(), p.getFloat("spatial_scale"), p.getBool("deterministic")))));
    List<String> fpnInputs = new java.util.ArrayList<>(FPN_INPUTS);
    fpnInputs.add("boxes");
    OpRegistry.register(new OpSpec("multi_scale_roi_align",
        "torchvision.ops.MultiScaleRoIAlign over 4 FPN maps (finest first; the Java API takes any number): each box"
            + " [K,5] pooled from its LevelMapper level -> [K,C,PH,PW] in box order",
        fpnInputs, FPN_INPUTS,
        List.of(OUTPUT_SIZE,
            new ParamSpec("sampling_ratio", ParamSpec.Type.INT, null, "as roi_align's (Faster R-CNN uses 2)"),
            new ParamSpec("image_size", ParamSpec.Type.INT_LIST, null,
                "(height, width) of the (padded) image batch; scales are 2^round(log2(feature/image))"),
            new ParamSpec("canonical_scale", ParamSpec.Type.INT, "224", "LevelMapper's s0"),
            new ParamSpec("canonical_level", ParamSpec.Type.INT, "4", "LevelMapper's k0"),
            ALIGNED, DETERMINISTIC),
        List.of("output"),
        (in, p) -> Map.of("output", Roi.multiScaleRoiAlign(features(in), in.get("boxes"), p.getIntList("output_size"),
            p.getInt("sampling_ratio"), p.getIntList("image_size"), p.getInt("canonical_scale"),
            p.getInt("canonical_level"), p.getBool("aligned"))),
        (in, p, out, g) -> {
          List<Tensor> f = features(in);
          List<Tensor> grads = Roi.multiScaleRoiAlignBackward(g.get("output"), f, in.get("boxes"),
              Roi.inferScales(f, p.getIntList("image_size")), p.getInt("sampling_ratio"), p.getInt("canonical_scale"),
              p.getInt("canonical_level"), p.getBool("aligned"), p.getBool("deterministic"));
          Map<String, Tensor> m = new LinkedHashMap<>();
          for (int l = 0; l < FPN_INPUTS.size(); l++) {
            m.put(FPN_INPUTS.get(l), grads.get(l));
          }
          return m;
        }));
    OpRegistry.register(new OpSpec("onnx_roi_align",
        "ONNX RoiAlign (opset 16): X [N,C,H,W], rois [K,4], batch_indices [K] -> [K,C,output_height,output_width]",
        List.of("X", "rois", "batch_indices"), List.of(),
        List.of(new ParamSpec("mode", ParamSpec.Type.STRING, "avg", "only avg is implemented"),
            new ParamSpec("output_height", ParamSpec.Type.INT, "1", "pooled height"),
            new ParamSpec("output_width", ParamSpec.Type.INT, "1", "pooled width"),
            new ParamSpec("sampling_ratio", ParamSpec.Type.INT, "0", "samples per bin and axis; 0: adaptive"),
            new ParamSpec("spatial_scale", ParamSpec.Type.FLOAT, "1.0", "scale of the roi coordinates"),
            new ParamSpec("coordinate_transformation_mode", ParamSpec.Type.STRING, "half_pixel",
                "half_pixel (shift by -0.5) or output_half_pixel (no shift)")),
        List.of("Y"),
        (in, p) -> Map.of("Y", Roi.onnxRoiAlign(in.get("X"), in.get("rois"), in.get("batch_indices"),
            p.getString("mode"), p.getInt("output_height"), p.getInt("output_width"), p.getInt("sampling_ratio"),
            p.getFloat("spatial_scale"), p.getString("coordinate_transformation_mode"))),
        null));
  }

  private static List<Tensor> features(Map<String, Tensor> in) {
    return FPN_INPUTS.stream().map(in::get).toList();
  }
}
