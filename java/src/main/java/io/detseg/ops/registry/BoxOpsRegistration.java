package io.detseg.ops.registry;

import io.detseg.ops.Anchors;
import io.detseg.ops.BoxCoding;
import io.detseg.ops.Boxes;
import io.detseg.ops.Matching;
import io.detseg.tensor.DType;
import io.detseg.tensor.Shapes;
import io.detseg.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * Registers the box op family with `detseg op` (names, inputs and parameters: docs/kernels/boxes.md).
 * Nested lists (one list per feature-map level) are written with ';' between levels and ',' inside a
 * level, e.g. --param sizes='32;64;128;256;512'. Generators take their levels' (height, width) as an
 * int32 [L, 2] input tensor, grid_sizes, whose device is the device the boxes are made on.
 */
final class BoxOpsRegistration {
  private BoxOpsRegistration() {}

  private static ParamSpec p(String name, ParamSpec.Type type, String def, String doc) {
    return new ParamSpec(name, type, def, doc);
  }

  static void registerAll() {
    OpRegistry.register(new OpSpec("box_area",
        "area (x2-x1)*(y2-y1) of boxes [N,4] xyxy -> [N], as torchvision.ops.box_area",
        List.of("boxes"), List.of("boxes"), List.of(), List.of("output"),
        (in, q) -> Map.of("output", Boxes.boxArea(in.get("boxes"))),
        (in, q, out, g) -> Map.of("boxes", Boxes.boxAreaBackward(g.get("output"), in.get("boxes")))));

    OpRegistry.register(new OpSpec("generalized_box_iou",
        "GIoU of every pair of boxes1 [N,4] and boxes2 [M,4] (xyxy) -> [N,M], as torchvision.ops.generalized_box_iou",
        List.of("boxes1", "boxes2"), List.of("boxes1", "boxes2"), List.of(), List.of("output"),
        (in, q) -> Map.of("output", Boxes.generalizedBoxIou(in.get("boxes1"), in.get("boxes2"))),
        (in, q, out, g) -> {
          Tensor[] gr = Boxes.generalizedBoxIouBackward(g.get("output"), in.get("boxes1"), in.get("boxes2"));
          return Map.of("boxes1", gr[0], "boxes2", gr[1]);
        }));

    OpRegistry.register(new OpSpec("clip_boxes_to_image",
        "clamp x of boxes [...,4] to [0,width] and y to [0,height], as torchvision.ops.clip_boxes_to_image",
        List.of("boxes"), List.of("boxes"),
        List.of(p("size", ParamSpec.Type.INT_LIST, null, "(height, width) of the image")), List.of("output"),
        (in, q) -> {
          int[] hw = size(q, "clip_boxes_to_image", "size");
          return Map.of("output", Boxes.clipBoxesToImage(in.get("boxes"), hw[0], hw[1]));
        },
        (in, q, out, g) -> {
          int[] hw = size(q, "clip_boxes_to_image", "size");
          return Map.of("boxes", Boxes.clipBoxesToImageBackward(g.get("output"), in.get("boxes"), hw[0], hw[1]));
        }));

    OpRegistry.register(new OpSpec("remove_small_boxes",
        "int32 indices of boxes [N,4] whose sides are both >= min_size, as torchvision.ops.remove_small_boxes",
        List.of("boxes"), List.of(), List.of(p("min_size", ParamSpec.Type.FLOAT, null, "minimum width and height")),
        List.of("output"),
        (in, q) -> Map.of("output", Boxes.removeSmallBoxes(in.get("boxes"), q.getFloat("min_size"))), null));

    OpRegistry.register(new OpSpec("box_convert",
        "convert boxes [...,4] between xyxy, xywh and cxcywh, as torchvision.ops.box_convert",
        List.of("boxes"), List.of("boxes"),
        List.of(p("in_fmt", ParamSpec.Type.STRING, null, "xyxy, xywh or cxcywh"),
            p("out_fmt", ParamSpec.Type.STRING, null, "xyxy, xywh or cxcywh")),
        List.of("output"),
        (in, q) -> Map.of("output", Boxes.boxConvert(in.get("boxes"), q.getString("in_fmt"), q.getString("out_fmt"))),
        (in, q, out, g) -> Map.of("boxes",
            Boxes.boxConvertBackward(g.get("output"), q.getString("in_fmt"), q.getString("out_fmt")))));

    OpRegistry.register(new OpSpec("anchor_grid",
        "Faster R-CNN anchors of every level (torchvision AnchorGenerator.forward for one image) -> [sum H*W*A, 4] xyxy",
        List.of("grid_sizes"), List.of(),
        List.of(p("sizes", ParamSpec.Type.STRING, "128,256,512", "anchor sizes per level, levels separated by ';'"),
            p("aspect_ratios", ParamSpec.Type.STRING, "0.5,1.0,2.0",
                "aspect ratios (h/w) per level, levels separated by ';' (one level applies to all)"),
            p("image_size", ParamSpec.Type.INT_LIST, null, "(height, width) of the image; strides = image_size // grid"),
            p("strides", ParamSpec.Type.STRING, "", "optional explicit (stride_h,stride_w) per level, ';'-separated")),
        List.of("output"),
        (in, q) -> {
          String op = "anchor_grid";
          int[][] grid = gridSizes(op, in.get("grid_sizes"));
          float[][] sizes = floatLevels(op, "sizes", q.getString("sizes"));
          float[][] ratios = floatLevels(op, "aspect_ratios", q.getString("aspect_ratios"));
          int[] image = size(q, op, "image_size");
          Tensor out;
          if (q.getString("strides").isBlank()) {
            out = Anchors.anchorGrid(in.get("grid_sizes").device(), sizes, ratios, grid, image[0], image[1]);
          } else {
            int[][] strides = intLevels(op, "strides", q.getString("strides"));
            out = Anchors.anchorGrid(in.get("grid_sizes").device(), sizes, ratios, grid, strides);
          }
          return Map.of("output", out);
        }, null));

    OpRegistry.register(new OpSpec("ssd_default_boxes",
        "SSD default boxes of every level (torchvision DefaultBoxGenerator.forward for one image) -> [sum H*W*P, 4] xyxy",
        List.of("grid_sizes"), List.of(),
        List.of(p("aspect_ratios", ParamSpec.Type.STRING, "2,3",
                "aspect ratios per level (each adds r and 1/r), levels separated by ';' (one level applies to all)"),
            p("image_size", ParamSpec.Type.INT_LIST, null, "(height, width) of the image"),
            p("min_ratio", ParamSpec.Type.FLOAT, "0.2", "s_min of the SSD paper (torchvision's default is 0.15)"),
            p("max_ratio", ParamSpec.Type.FLOAT, "0.9", "s_max of the SSD paper"),
            p("scales", ParamSpec.Type.STRING, "", "optional explicit scales (levels + 1 values)"),
            p("steps", ParamSpec.Type.STRING, "", "optional steps (one per level): centers use image_size / step"),
            p("clip", ParamSpec.Type.BOOL, "true", "clamp the (w, h) of each box to [0, 1] before scaling")),
        List.of("output"),
        (in, q) -> {
          String op = "ssd_default_boxes";
          int[][] grid = gridSizes(op, in.get("grid_sizes"));
          double[][] ratios = doubleLevels(op, "aspect_ratios", q.getString("aspect_ratios"));
          int[] image = size(q, op, "image_size");
          String sc = q.getString("scales");
          String st = q.getString("steps");
          double[] scales = sc.isBlank() ? null : flat(op, "scales", sc);
          int[] steps = null;
          if (!st.isBlank()) {
            if (st.contains(";")) {
              throw new IllegalArgumentException(op + ": parameter 'steps': expected one comma-separated list but got '"
                  + st + "'");
            }
            steps = intLevels(op, "steps", st)[0];
          }
          return Map.of("output", Anchors.ssdDefaultBoxes(in.get("grid_sizes").device(), ratios, grid, image[0],
              image[1], decimal(q.getFloat("min_ratio")), decimal(q.getFloat("max_ratio")), scales, steps,
              q.getBool("clip")));
        }, null));

    OpRegistry.register(new OpSpec("yolo_decode",
        "YOLO decoding of input [B, A*(5+C), H, W] with anchor priors -> [B, A*H*W, 5+C] (x1,y1,x2,y2,obj,classes)",
        List.of("input"), List.of(),
        List.of(p("anchors", ParamSpec.Type.FLOAT_LIST, null, "(w, h) prior of each anchor in pixels, flattened"),
            p("image_size", ParamSpec.Type.INT_LIST, null, "(height, width) of the image in pixels")),
        List.of("output"),
        (in, q) -> {
          int[] image = size(q, "yolo_decode", "image_size");
          return Map.of("output", Anchors.yoloDecode(in.get("input"), q.getFloatList("anchors"), image[0], image[1]));
        }, null));

    OpRegistry.register(new OpSpec("encode_boxes",
        "box regression targets of reference_boxes [N,4] against proposals [N,4], as torchvision's encode_boxes",
        List.of("reference_boxes", "proposals"), List.of(),
        List.of(p("weights", ParamSpec.Type.FLOAT_LIST, "1.0,1.0,1.0,1.0", "(wx, wy, ww, wh); Faster R-CNN heads use 10,10,5,5")),
        List.of("output"),
        (in, q) -> Map.of("output", BoxCoding.encodeBoxes(in.get("reference_boxes"), in.get("proposals"),
            q.getFloatList("weights"))), null));

    OpRegistry.register(new OpSpec("decode_boxes",
        "boxes from rel_codes [N,4K] and boxes [N,4], as torchvision's BoxCoder.decode_single",
        List.of("rel_codes", "boxes"), List.of(),
        List.of(p("weights", ParamSpec.Type.FLOAT_LIST, "1.0,1.0,1.0,1.0", "(wx, wy, ww, wh)"),
            p("bbox_xform_clip", ParamSpec.Type.FLOAT, "4.135166556742356", "clamp of dw, dh before exp (log(1000/16))")),
        List.of("output"),
        (in, q) -> Map.of("output", BoxCoding.decodeBoxes(in.get("rel_codes"), in.get("boxes"),
            q.getFloatList("weights"), q.getFloat("bbox_xform_clip"))), null));

    OpRegistry.register(new OpSpec("encode_boxes_ssd",
        "SSD-paper targets of reference_boxes [N,4] against default_boxes [N,4] with variances",
        List.of("reference_boxes", "default_boxes"), List.of(),
        List.of(p("variances", ParamSpec.Type.FLOAT_LIST, "0.1,0.2", "(center variance, size variance)")),
        List.of("output"),
        (in, q) -> Map.of("output", BoxCoding.encodeBoxesSsd(in.get("reference_boxes"), in.get("default_boxes"),
            q.getFloatList("variances"))), null));

    OpRegistry.register(new OpSpec("decode_boxes_ssd",
        "SSD-paper decoding of rel_codes [N,4K] against default_boxes [N,4] with variances",
        List.of("rel_codes", "default_boxes"), List.of(),
        List.of(p("variances", ParamSpec.Type.FLOAT_LIST, "0.1,0.2", "(center variance, size variance)")),
        List.of("output"),
        (in, q) -> Map.of("output", BoxCoding.decodeBoxesSsd(in.get("rel_codes"), in.get("default_boxes"),
            q.getFloatList("variances"))), null));

    OpRegistry.register(new OpSpec("match_boxes",
        "torchvision Matcher over match_quality_matrix [M gt, N predictions] -> int32 [N] (gt index, -1 below, -2 between)",
        List.of("match_quality_matrix"), List.of(),
        List.of(p("high_threshold", ParamSpec.Type.FLOAT, "0.7", "quality >= this is a match"),
            p("low_threshold", ParamSpec.Type.FLOAT, "0.3", "quality < this is BELOW_LOW_THRESHOLD (-1); between is -2"),
            p("allow_low_quality_matches", ParamSpec.Type.BOOL, "false", "keep each gt's best predictions matched")),
        List.of("output"),
        (in, q) -> Map.of("output", Matching.matchBoxes(in.get("match_quality_matrix"), q.getFloat("high_threshold"),
            q.getFloat("low_threshold"), q.getBool("allow_low_quality_matches"))), null));

    OpRegistry.register(new OpSpec("ssd_match_boxes",
        "torchvision SSDMatcher over match_quality_matrix [M gt, N predictions] -> int32 [N]",
        List.of("match_quality_matrix"), List.of(),
        List.of(p("threshold", ParamSpec.Type.FLOAT, "0.5", "IoU threshold")), List.of("output"),
        (in, q) -> Map.of("output", Matching.ssdMatchBoxes(in.get("match_quality_matrix"), q.getFloat("threshold"))),
        null));

    OpRegistry.register(new OpSpec("sample_pos_neg",
        "BalancedPositiveNegativeSampler over matched_idxs int32 [N] or [B,N] (>=1 pos, 0 neg) -> uint8 masks, seeded",
        List.of("matched_idxs"), List.of(),
        List.of(p("batch_size_per_image", ParamSpec.Type.INT, "256", "samples per image"),
            p("positive_fraction", ParamSpec.Type.FLOAT, "0.5", "fraction of positives"),
            p("seed", ParamSpec.Type.STRING, "0", "64-bit seed of detseg's sampler RNG (same result on every backend)")),
        List.of("pos_mask", "neg_mask"),
        (in, q) -> {
          Tensor[] r = Matching.samplePosNeg(in.get("matched_idxs"), q.getInt("batch_size_per_image"),
              decimal(q.getFloat("positive_fraction")), seed(q.getString("seed")));
          return Map.of("pos_mask", r[0], "neg_mask", r[1]);
        }, null));

    OpRegistry.register(new OpSpec("hard_negative_mining",
        "SSD hard negative mining: all positives and the top neg_pos_ratio*#pos negatives by loss -> uint8 masks",
        List.of("loss", "labels"), List.of(),
        List.of(p("neg_pos_ratio", ParamSpec.Type.FLOAT, "3.0", "negatives kept per positive")),
        List.of("mask", "neg_mask"),
        (in, q) -> {
          Tensor[] r = Matching.hardNegativeMining(in.get("loss"), in.get("labels"), q.getFloat("neg_pos_ratio"));
          return Map.of("mask", r[0], "neg_mask", r[1]);
        }, null));
  }

  // ---- parameter helpers ------------------------------------------------------------------------

  /** The decimal a float parameter was typed as (0.7 stays 0.7 in double, as Python holds it). */
  private static double decimal(float f) {
    return Double.parseDouble(Float.toString(f));
  }

  private static long seed(String text) {
    try {
      return Long.parseLong(text.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("sample_pos_neg: parameter 'seed': expected a 64-bit integer but got '"
          + text + "'");
    }
  }

  private static int[] size(Params q, String op, String name) {
    int[] v = q.getIntList(name);
    if (v.length != 2) {
      throw new IllegalArgumentException(op + ": parameter '" + name + "': expected (height, width) but got "
          + v.length + " values");
    }
    return v;
  }

  private static int[][] gridSizes(String op, Tensor t) {
    if (t.dtype() != DType.INT32 || t.dim() != 2 || t.size(1) != 2) {
      throw new IllegalArgumentException(op + ": argument 'grid_sizes': expected int32 [L, 2] (height, width per level)"
          + " but got " + t.dtype().label() + Shapes.format(t.shape()));
    }
    int[] v = t.toIntArray();
    int[][] out = new int[v.length / 2][];
    for (int l = 0; l < out.length; l++) {
      out[l] = new int[] {v[2 * l], v[2 * l + 1]};
    }
    return out;
  }

  private static String[] split(String op, String name, String text) {
    String[] levels = text.split(";", -1);
    for (String l : levels) {
      if (l.isBlank()) {
        throw new IllegalArgumentException(op + ": parameter '" + name
            + "': expected comma-separated numbers per level, levels separated by ';' but got '" + text + "'");
      }
    }
    return levels;
  }

  private static double[][] doubleLevels(String op, String name, String text) {
    String[] levels = split(op, name, text);
    double[][] out = new double[levels.length][];
    for (int l = 0; l < levels.length; l++) {
      String[] parts = levels[l].split(",");
      out[l] = new double[parts.length];
      for (int i = 0; i < parts.length; i++) {
        try {
          out[l][i] = Double.parseDouble(parts[i].trim());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(op + ": parameter '" + name + "': expected numbers but got '"
              + parts[i].trim() + "' in '" + text + "'");
        }
      }
    }
    return out;
  }

  private static float[][] floatLevels(String op, String name, String text) {
    double[][] d = doubleLevels(op, name, text);
    float[][] out = new float[d.length][];
    for (int l = 0; l < d.length; l++) {
      out[l] = new float[d[l].length];
      for (int i = 0; i < d[l].length; i++) {
        out[l][i] = (float) d[l][i];
      }
    }
    return out;
  }

  private static int[][] intLevels(String op, String name, String text) {
    double[][] d = doubleLevels(op, name, text);
    int[][] out = new int[d.length][];
    for (int l = 0; l < d.length; l++) {
      out[l] = new int[d[l].length];
      for (int i = 0; i < d[l].length; i++) {
        if (d[l][i] != Math.rint(d[l][i]) || Math.abs(d[l][i]) > Integer.MAX_VALUE) {
          throw new IllegalArgumentException(op + ": parameter '" + name + "': expected integers but got '" + text
              + "'");
        }
        out[l][i] = (int) d[l][i];
      }
    }
    return out;
  }

  /** A flat comma-separated list (no levels). */
  private static double[] flat(String op, String name, String text) {
    if (text.contains(";")) {
      throw new IllegalArgumentException(op + ": parameter '" + name + "': expected one comma-separated list but got '"
          + text + "'");
    }
    return doubleLevels(op, name, text)[0];
  }
}
