package io.detseg.ops;

import io.detseg.backend.BoxKernels;
import io.detseg.tensor.DType;
import io.detseg.tensor.Device;
import io.detseg.tensor.Shapes;
import io.detseg.tensor.Tensor;
import java.util.Arrays;

/**
 * Anchor generators: Faster R-CNN grid anchors (torchvision AnchorGenerator), SSD default boxes
 * (torchvision DefaultBoxGenerator, SSD paper scales) and YOLO decoding with anchor priors.
 * Formulas: kernels/include/detseg/box_anchors.cuh; semantics: docs/kernels/boxes.md.
 */
public final class Anchors {
  private Anchors() {}

  /** Most cell anchors (sizes × aspect ratios) one level may have: 16 KiB of CUDA shared memory. */
  public static final int MAX_ANCHORS_PER_CELL = 1024;
  /** Largest K = 5 + classes yolo_decode takes (its CUDA tile must fit 48 KiB of shared memory). */
  public static final int MAX_YOLO_CHANNELS = 12288;

  /**
   * AnchorGenerator.forward for one image: level l has a gridSizes[l] = {height, width} feature map
   * whose stride is imageSize / gridSize (integer division, as torchvision); sizes[l] × aspectRatios[l]
   * anchors per cell (aspectRatios may hold one level for all). Returns [Σ H·W·A, 4] xyxy float32.
   */
  public static Tensor anchorGrid(Device device, float[][] sizes, float[][] aspectRatios, int[][] gridSizes,
      int imageHeight, int imageWidth) {
    String op = "anchor_grid";
    BoxChecks.atLeast(op, "image_size[0]", imageHeight, 1);
    BoxChecks.atLeast(op, "image_size[1]", imageWidth, 1);
    int[][] strides = new int[gridSizes == null ? 0 : gridSizes.length][];
    for (int l = 0; l < strides.length; l++) {
      int[] g = pair(op, "grid_sizes[" + l + "]", gridSizes[l], 1);
      strides[l] = new int[] {imageHeight / g[0], imageWidth / g[1]};
    }
    return anchorGrid(device, sizes, aspectRatios, gridSizes, strides);
  }

  /** AnchorGenerator.grid_anchors with explicit strides[l] = {stride_h, stride_w}. */
  public static Tensor anchorGrid(Device device, float[][] sizes, float[][] aspectRatios, int[][] gridSizes,
      int[][] strides) {
    String op = "anchor_grid";
    if (device == null) {
      throw BoxChecks.fail(op, "device", "a device", "null");
    }
    int levels = levels(op, gridSizes);
    if (sizes == null || sizes.length != levels) {
      throw BoxChecks.fail(op, "sizes", levels + " levels (one per grid size)", sizes == null ? "null" : sizes.length);
    }
    if (aspectRatios == null || (aspectRatios.length != levels && aspectRatios.length != 1)) {
      throw BoxChecks.fail(op, "aspect_ratios", levels + " levels or 1 for all",
          aspectRatios == null ? "null" : aspectRatios.length);
    }
    if (strides == null || strides.length != levels) {
      throw BoxChecks.fail(op, "strides", levels + " levels", strides == null ? "null" : strides.length);
    }
    long total = 0;
    long[] first = new long[levels];
    for (int l = 0; l < levels; l++) {
      int[] g = pair(op, "grid_sizes[" + l + "]", gridSizes[l], 0);
      int[] s = pair(op, "strides[" + l + "]", strides[l], 0);
      float[] sz = sizes[l];
      float[] ar = aspectRatios[aspectRatios.length == 1 ? 0 : l];
      nonEmpty(op, "sizes[" + l + "]", sz);
      nonEmpty(op, "aspect_ratios[" + l + "]", ar);
      BoxChecks.allPositive(op, "sizes[" + l + "]", sz);
      BoxChecks.allPositive(op, "aspect_ratios[" + l + "]", ar);
      if ((long) sz.length * ar.length > MAX_ANCHORS_PER_CELL) {
        throw BoxChecks.fail(op, "sizes[" + l + "] x aspect_ratios[" + l + "]",
            "at most " + MAX_ANCHORS_PER_CELL + " anchors per cell", (long) sz.length * ar.length);
      }
      for (int d = 0; d < 2; d++) {
        if ((long) Math.max(g[d] - 1, 0) * s[d] > Integer.MAX_VALUE) {
          throw BoxChecks.fail(op, "strides[" + l + "]", "(grid size - 1) * stride within int32 (torchvision's shift type)",
              Arrays.toString(s) + " for grid " + Arrays.toString(g));
        }
      }
      first[l] = total;
      total = Math.addExact(total, Shapes.numel(new long[] {g[0], g[1], sz.length, ar.length}));
    }
    Tensor out = Tensor.empty(device, DType.FLOAT32, total, 4);
    BoxKernels k = out.backend().boxes();
    for (int l = 0; l < levels; l++) {
      float[] ar = aspectRatios[aspectRatios.length == 1 ? 0 : l];
      k.anchorGrid(sizes[l], ar, gridSizes[l][0], gridSizes[l][1], strides[l][0], strides[l][1], out, first[l]);
    }
    return out;
  }

  /**
   * DefaultBoxGenerator(aspect_ratios, min_ratio, max_ratio, scales, steps, clip).forward for one
   * image of imageHeight × imageWidth: per level k the pairs (s_k, s_k), (s'_k, s'_k) with
   * s'_k = sqrt(s_k s_{k+1}), then (s_k √r, s_k / √r) and its transpose for each ratio r; centers
   * ((j + 0.5) / x_f, (i + 0.5) / y_f) with x_f = W_k (or image_width / steps[k]); clip clamps the
   * (w, h) pairs to [0, 1] (torchvision clips the sizes, not the corners). Without scales,
   * s_k = min_ratio + (max_ratio - min_ratio) k / (levels - 1) and s_levels = 1. Returns xyxy pixels.
   *
   * @param scales null for the formula, else at least levels + 1 values
   * @param steps null, or one step per level
   */
  public static Tensor ssdDefaultBoxes(Device device, double[][] aspectRatios, int[][] gridSizes, int imageHeight,
      int imageWidth, double minRatio, double maxRatio, double[] scales, int[] steps, boolean clip) {
    String op = "ssd_default_boxes";
    if (device == null) {
      throw BoxChecks.fail(op, "device", "a device", "null");
    }
    int levels = levels(op, gridSizes);
    BoxChecks.atLeast(op, "image_size[0]", imageHeight, 1);
    BoxChecks.atLeast(op, "image_size[1]", imageWidth, 1);
    if (aspectRatios == null || (aspectRatios.length != levels && aspectRatios.length != 1)) {
      throw BoxChecks.fail(op, "aspect_ratios", levels + " levels or 1 for all",
          aspectRatios == null ? "null" : aspectRatios.length);
    }
    double[] s = scales;
    if (s == null) {
      BoxChecks.finite(op, "min_ratio", minRatio);
      BoxChecks.finite(op, "max_ratio", maxRatio);
      if (levels > 1) {
        s = new double[levels + 1];
        double range = maxRatio - minRatio;
        for (int k = 0; k < levels; k++) {
          s[k] = minRatio + range * k / (levels - 1.0);
        }
        s[levels] = 1.0;
      } else {
        s = new double[] {minRatio, maxRatio};
      }
    } else if (s.length < levels + 1) {
      throw BoxChecks.fail(op, "scales", "at least " + (levels + 1) + " values (levels + 1)", s.length);
    }
    for (double v : s) {
      BoxChecks.finite(op, "scales", v);
    }
    if (steps != null && steps.length != levels) {
      throw BoxChecks.fail(op, "steps", levels + " values (one per level)", steps.length);
    }
    long total = 0;
    long[] first = new long[levels];
    float[][] wh = new float[levels][];
    for (int l = 0; l < levels; l++) {
      int[] g = pair(op, "grid_sizes[" + l + "]", gridSizes[l], 0);
      double[] ar = aspectRatios[aspectRatios.length == 1 ? 0 : l];
      if (ar == null) {
        throw BoxChecks.fail(op, "aspect_ratios[" + l + "]", "a list", "null");
      }
      for (double r : ar) {
        BoxChecks.positive(op, "aspect_ratios[" + l + "]", r);
      }
      if (steps != null) {
        BoxChecks.atLeast(op, "steps[" + l + "]", steps[l], 1);
      }
      wh[l] = whPairs(s[l], s[l + 1], ar, clip);
      first[l] = total;
      total = Math.addExact(total, Shapes.numel(new long[] {g[0], g[1], wh[l].length / 2}));
    }
    Tensor out = Tensor.empty(device, DType.FLOAT32, total, 4);
    BoxKernels k = out.backend().boxes();
    for (int l = 0; l < levels; l++) {
      float xf = steps != null ? (float) ((double) imageWidth / steps[l]) : gridSizes[l][1];
      float yf = steps != null ? (float) ((double) imageHeight / steps[l]) : gridSizes[l][0];
      k.ssdDefaultBoxes(wh[l], gridSizes[l][0], gridSizes[l][1], xf, yf, imageWidth, imageHeight, out, first[l]);
    }
    return out;
  }

  /** The (w, h) pairs of one level exactly as DefaultBoxGenerator makes them (double, then float32). */
  static float[] whPairs(double sk, double sk1, double[] ratios, boolean clip) {
    float[] wh = new float[4 + 4 * ratios.length];
    double sPrime = Math.sqrt(sk * sk1);
    wh[0] = (float) sk;
    wh[1] = (float) sk;
    wh[2] = (float) sPrime;
    wh[3] = (float) sPrime;
    for (int i = 0; i < ratios.length; i++) {
      double sq = Math.sqrt(ratios[i]);
      float w = (float) (sk * sq);
      float h = (float) (sk / sq);
      wh[4 + 4 * i] = w;
      wh[5 + 4 * i] = h;
      wh[6 + 4 * i] = h;
      wh[7 + 4 * i] = w;
    }
    if (clip) {
      for (int i = 0; i < wh.length; i++) {
        wh[i] = Math.min(Math.max(wh[i], 0f), 1f);
      }
    }
    return wh;
  }

  /**
   * YOLO (v2/v3) decoding: input [B, A·K, H, W] raw head output (K = 5 + classes, channel a·K + c),
   * anchors A (w, h) priors in image pixels → [B, A·H·W, K] rows (x1, y1, x2, y2, objectness, classes)
   * in (anchor, row, col) order with cx = (σ(tx) + col) / W · image_width, cy likewise,
   * w = exp(tw) · anchor_w, h = exp(th) · anchor_h, objectness and classes σ.
   */
  public static Tensor yoloDecode(Tensor input, float[] anchors, int imageHeight, int imageWidth) {
    String op = "yolo_decode";
    Checks.dtype(op, "input", input, DType.FLOAT32);
    if (input.dim() != 4) {
      throw BoxChecks.fail(op, "input", "shape [B, A*(5+C), H, W]", Shapes.format(input.shape()));
    }
    if (anchors == null || anchors.length == 0 || anchors.length % 2 != 0) {
      throw BoxChecks.fail(op, "anchors", "(w, h) pairs", anchors == null ? "null" : Arrays.toString(anchors));
    }
    BoxChecks.allPositive(op, "anchors", anchors);
    BoxChecks.atLeast(op, "image_size[0]", imageHeight, 1);
    BoxChecks.atLeast(op, "image_size[1]", imageWidth, 1);
    int a = anchors.length / 2;
    long c = input.size(1);
    if (c % a != 0 || c / a < 5 || c / a > MAX_YOLO_CHANNELS) {
      throw BoxChecks.fail(op, "input", "size(1) = A * K with A = " + a + " anchors and 5 <= K <= "
          + MAX_YOLO_CHANNELS, Shapes.format(input.shape()));
    }
    long k = c / a;
    Tensor out = Tensor.empty(input.device(), DType.FLOAT32, input.size(0),
        Shapes.numel(new long[] {a, input.size(2), input.size(3)}), k);
    if (out.numel() > 0) {
      input.backend().boxes().yoloDecode(input, anchors, imageHeight, imageWidth, out);
    }
    return out;
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private static int levels(String op, int[][] gridSizes) {
    if (gridSizes == null || gridSizes.length == 0) {
      throw BoxChecks.fail(op, "grid_sizes", "at least one (height, width) level",
          gridSizes == null ? "null" : "none");
    }
    return gridSizes.length;
  }

  private static int[] pair(String op, String arg, int[] v, int min) {
    if (v == null || v.length != 2) {
      throw BoxChecks.fail(op, arg, "a (height, width) pair", v == null ? "null" : Arrays.toString(v));
    }
    if (v[0] < min || v[1] < min) {
      throw BoxChecks.fail(op, arg, "values >= " + min, Arrays.toString(v));
    }
    return v;
  }

  private static void nonEmpty(String op, String arg, float[] v) {
    if (v == null || v.length == 0) {
      throw BoxChecks.fail(op, arg, "at least one value", v == null ? "null" : "none");
    }
  }
}
