package io.detseg.ops;

import io.detseg.backend.Backend;
import io.detseg.tensor.DType;
import io.detseg.tensor.Device;
import io.detseg.tensor.Shapes;
import io.detseg.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * RoIAlign, RoIPool and multi-scale (FPN) RoIAlign with torchvision 0.14 semantics, plus ONNX's RoiAlign,
 * forward and backward, on every backend. Contract: docs/kernels/roi.md.
 *
 * <p>RoIs are torchvision's {@code boxes} tensor [K, 5]: (batch index, x1, y1, x2, y2) per row, in
 * input coordinates (multiplied by {@code spatialScale} to reach feature-map pixels). Batch indices
 * are truncated toward zero like torchvision's C cast and must land in [0, N): they live on the
 * tensors' device, so a small validation kernel (or a native loop on the CPU) checks them before any
 * kernel reads the map, and a bad index is an IllegalArgumentException, never a crash.
 *
 * <p>Backward functions take {@code deterministic}: on CUDA, true (the default of the registry ops)
 * runs the gather kernels, which give bitwise identical gradients run after run and equal the CPU's;
 * false runs torchvision-style atomicAdd scatter kernels, faster on a GPU but with schedule-dependent
 * last bits. The CPU backward is always deterministic (and bit-equal to torchvision's CPU kernel).
 */
public final class Roi {
  private Roi() {}

  /** roi_pool's two outputs: the pooled maxima and, per output element, the plane index of the max (-1: empty bin). */
  public record PoolResult(Tensor output, Tensor argmax) implements AutoCloseable {
    @Override
    public void close() {
      output.close();
      argmax.close();
    }
  }

  // ---- roi_align ------------------------------------------------------------------------------

  /** torchvision.ops.roi_align(input, boxes, output_size) with spatial_scale 1, sampling_ratio -1, aligned false. */
  public static Tensor roiAlign(Tensor input, Tensor boxes, int... outputSize) {
    return roiAlign(input, boxes, outputSize, 1.0f, -1, false);
  }

  /**
   * torchvision.ops.roi_align: input [N, C, H, W], boxes [K, 5] → [K, C, PH, PW]. Each bin is the
   * average of grid_h × grid_w bilinear samples (sampling_ratio per axis, or ceil(roi_size / bins)
   * when sampling_ratio <= 0); {@code aligned} shifts the box by −0.5 pixel.
   */
  public static Tensor roiAlign(Tensor input, Tensor boxes, int[] outputSize, float spatialScale, int samplingRatio,
      boolean aligned) {
    String op = "roi_align";
    int[] ps = pooledSize(op, outputSize);
    checkFeatures(op, "input", input);
    checkBoxes(op, boxes, input);
    checkScale(op, spatialScale);
    checkBatchIndices(op, boxes, input.size(0));
    Tensor out = Tensor.empty(input.device(), DType.FLOAT32, boxes.size(0), input.size(1), ps[0], ps[1]);
    if (out.numel() > 0) {
      input.backend().roi().roiAlignForward(input, boxes, null, null, 0, ps[0], ps[1], spatialScale, samplingRatio,
          aligned, out);
    }
    return out;
  }

  /**
   * Gradient of roi_align with respect to its input (torchvision's _roi_align_backward): gradOutput
   * [K, C, PH, PW] → [N, C, H, W] for an input of shape {@code inputShape}.
   */
  public static Tensor roiAlignBackward(Tensor gradOutput, Tensor boxes, long[] inputShape, float spatialScale,
      int samplingRatio, boolean aligned, boolean deterministic) {
    String op = "roi_align_backward";
    long[] shape = checkInputShape(op, inputShape);
    checkGradOutput(op, gradOutput, boxes, shape);
    checkBoxesForGrad(op, boxes, gradOutput);
    checkScale(op, spatialScale);
    checkBatchIndices(op, boxes, shape[0]);
    Tensor grad = Tensor.empty(gradOutput.device(), DType.FLOAT32, shape);
    if (grad.numel() > 0) {
      gradOutput.backend().roi().roiAlignBackward(gradOutput, boxes, null, null, 0, (int) gradOutput.size(2),
          (int) gradOutput.size(3), spatialScale, samplingRatio, aligned, deterministic, grad);
    }
    return grad;
  }

  // ---- roi_pool -------------------------------------------------------------------------------

  /**
   * torchvision.ops.roi_pool: max over integer bins of the rounded, scaled box (malformed boxes become
   * 1×1); output [K, C, PH, PW] and argmax (int32, h * W + w in the plane, -1 for an empty bin, whose
   * output is 0).
   */
  public static PoolResult roiPool(Tensor input, Tensor boxes, int[] outputSize, float spatialScale) {
    String op = "roi_pool";
    int[] ps = pooledSize(op, outputSize);
    checkFeatures(op, "input", input);
    checkBoxes(op, boxes, input);
    checkScale(op, spatialScale);
    Checks.atMostInt(op, "input.size(2) * input.size(3)", input.size(2) * input.size(3));
    checkBatchIndices(op, boxes, input.size(0));
    Tensor out = Tensor.empty(input.device(), DType.FLOAT32, boxes.size(0), input.size(1), ps[0], ps[1]);
    Tensor argmax;
    try {
      argmax = Tensor.empty(input.device(), DType.INT32, out.shape());
    } catch (RuntimeException e) {
      out.close();
      throw e;
    }
    if (out.numel() > 0) {
      input.backend().roi().roiPoolForward(input, boxes, null, ps[0], ps[1], spatialScale, out, argmax);
    }
    return new PoolResult(out, argmax);
  }

  /** Gradient of roi_pool: each gradOutput element goes to its argmax pixel (torchvision's _roi_pool_backward). */
  public static Tensor roiPoolBackward(Tensor gradOutput, Tensor boxes, Tensor argmax, long[] inputShape,
      float spatialScale, boolean deterministic) {
    String op = "roi_pool_backward";
    long[] shape = checkInputShape(op, inputShape);
    checkGradOutput(op, gradOutput, boxes, shape);
    checkBoxesForGrad(op, boxes, gradOutput);
    checkScale(op, spatialScale);
    Checks.dtype(op, "argmax", argmax, DType.INT32);
    Checks.sameDevice(op, "argmax", argmax, "grad_output", gradOutput);
    Checks.sameShape(op, "argmax", argmax, "grad_output", gradOutput);
    Checks.atMostInt(op, "height * width", shape[2] * shape[3]);
    checkBatchIndices(op, boxes, shape[0]);
    long plane = shape[2] * shape[3];
    if (argmax.numel() > 0) {
      long bad = argmax.backend().roi().firstOutOfRange(argmax, -1, (int) plane);
      if (bad >= 0) {
        int v;
        try (Tensor host = argmax.to(Device.CPU)) {
          v = host.toIntArray()[(int) bad];
        }
        throw new IllegalArgumentException(op + ": argument 'argmax': expected values in [-1, " + plane
            + ") (plane indices of a " + shape[2] + "x" + shape[3] + " map, or -1) but element " + bad + " is " + v);
      }
    }
    Tensor grad = Tensor.empty(gradOutput.device(), DType.FLOAT32, shape);
    if (grad.numel() > 0) {
      gradOutput.backend().roi().roiPoolBackward(gradOutput, boxes, null, argmax, spatialScale, deterministic, grad);
    }
    return grad;
  }

  // ---- multi-scale RoIAlign (FPN) -------------------------------------------------------------

  /**
   * The scale of each feature map as torchvision.ops.MultiScaleRoIAlign infers it from the image size:
   * 2^round(log2(feature height / image height)) (torch.round: half to even).
   */
  public static float[] inferScales(List<Tensor> features, int[] imageSize) {
    String op = "multi_scale_roi_align";
    if (imageSize == null || imageSize.length != 2 || imageSize[0] <= 0 || imageSize[1] <= 0) {
      throw new IllegalArgumentException(op + ": argument 'image_size': expected two positive ints (height, width)"
          + " but got " + Arrays.toString(imageSize));
    }
    checkFeatureList(op, features);
    float[] scales = new float[features.size()];
    for (int l = 0; l < scales.length; l++) {
      float approx = (float) ((double) features.get(l).size(2) / (double) imageSize[0]);
      double lg = Math.rint(Math.log(approx) / Math.log(2.0));
      scales[l] = (float) Math.pow(2.0, lg);
    }
    return scales;
  }

  /**
   * torchvision.ops.MultiScaleRoIAlign for features [N, C, H_l, W_l] (finest first) and boxes [K, 5]
   * (its convert_to_roi_format of the per-image box lists): each RoI is pooled from the level
   * LevelMapper assigns it, floor(canonicalLevel + log2(sqrt(area) / canonicalScale) + 1e-6) clamped
   * to the available levels, with that level's scale. Output [K, C, PH, PW] in the RoI order. Scales
   * are inferred from {@code imageSize} as torchvision does ({@link #inferScales}).
   */
  public static Tensor multiScaleRoiAlign(List<Tensor> features, Tensor boxes, int[] outputSize, int samplingRatio,
      int[] imageSize, int canonicalScale, int canonicalLevel, boolean aligned) {
    return multiScaleRoiAlignWithScales(features, boxes, outputSize, inferScales(features, imageSize), samplingRatio,
        canonicalScale, canonicalLevel, aligned);
  }

  /** As {@link #multiScaleRoiAlign} with explicit scales: powers of two, halving from one level to the next. */
  public static Tensor multiScaleRoiAlignWithScales(List<Tensor> features, Tensor boxes, int[] outputSize,
      float[] scales, int samplingRatio, int canonicalScale, int canonicalLevel, boolean aligned) {
    String op = "multi_scale_roi_align";
    int[] ps = pooledSize(op, outputSize);
    checkFeatureList(op, features);
    Tensor f0 = features.get(0);
    checkBoxes(op, boxes, f0);
    int[] kRange = levelRange(op, scales, features.size(), canonicalScale);
    checkBatchIndices(op, boxes, f0.size(0));
    if (features.size() == 1) {  // torchvision: a single level is plain roi_align, no level mapping
      return roiAlign(f0, boxes, ps, scales[0], samplingRatio, aligned);
    }
    Tensor out = Tensor.zeros(f0.device(), DType.FLOAT32, boxes.size(0), f0.size(1), ps[0], ps[1]);
    if (out.numel() == 0) {
      return out;
    }
    try (Tensor levels = levels(boxes, kRange, canonicalScale, canonicalLevel)) {
      for (int l = 0; l < features.size(); l++) {
        f0.backend().roi().roiAlignForward(features.get(l), boxes, null, levels, l, ps[0], ps[1], scales[l],
            samplingRatio, aligned, out);
      }
    } catch (RuntimeException e) {
      out.close();
      throw e;
    }
    return out;
  }

  /** Gradients of multi-scale RoIAlign with respect to each feature map (shapes of {@code features}). */
  public static List<Tensor> multiScaleRoiAlignBackward(Tensor gradOutput, List<Tensor> features, Tensor boxes,
      float[] scales, int samplingRatio, int canonicalScale, int canonicalLevel, boolean aligned,
      boolean deterministic) {
    String op = "multi_scale_roi_align_backward";
    checkFeatureList(op, features);
    Tensor f0 = features.get(0);
    checkGradOutput(op, gradOutput, boxes, f0.shape());
    checkBoxesForGrad(op, boxes, gradOutput);
    Checks.sameDevice(op, "features[0]", f0, "grad_output", gradOutput);
    int[] kRange = levelRange(op, scales, features.size(), canonicalScale);
    checkBatchIndices(op, boxes, f0.size(0));
    int ph = (int) gradOutput.size(2);
    int pw = (int) gradOutput.size(3);
    List<Tensor> grads = new ArrayList<>();
    if (features.size() == 1) {
      grads.add(roiAlignBackward(gradOutput, boxes, f0.shape(), scales[0], samplingRatio, aligned, deterministic));
      return grads;
    }
    try (Tensor levels = levels(boxes, kRange, canonicalScale, canonicalLevel)) {
      for (int l = 0; l < features.size(); l++) {
        Tensor g = Tensor.empty(f0.device(), DType.FLOAT32, features.get(l).shape());
        grads.add(g);
        if (g.numel() > 0) {
          f0.backend().roi().roiAlignBackward(gradOutput, boxes, null, levels, l, ph, pw, scales[l], samplingRatio,
              aligned, deterministic, g);
        }
      }
    } catch (RuntimeException e) {
      grads.forEach(Tensor::close);
      throw e;
    }
    return grads;
  }

  /** The 0-based level LevelMapper assigns each RoI (int32 [K]; -1 when its level is NaN), given the scales. */
  public static Tensor fpnLevels(Tensor boxes, float[] scales, int canonicalScale, int canonicalLevel) {
    String op = "fpn_levels";
    Checks.dtype(op, "boxes", boxes, DType.FLOAT32);
    Checks.matrixWithColumns(op, "boxes", boxes, 5);
    return levels(boxes, levelRange(op, scales, scales == null ? 0 : scales.length, canonicalScale), canonicalScale,
        canonicalLevel);
  }

  private static Tensor levels(Tensor boxes, int[] kRange, int canonicalScale, int canonicalLevel) {
    Tensor levels = Tensor.empty(boxes.device(), DType.INT32, boxes.size(0));
    if (boxes.size(0) > 0) {
      boxes.backend().roi().fpnLevels(boxes, null, kRange[0], kRange[1], canonicalScale, canonicalLevel, 1e-6f,
          levels);
    }
    return levels;
  }

  // ---- ONNX RoiAlign --------------------------------------------------------------------------

  /**
   * ONNX RoiAlign (opset 16): X [N, C, H, W], rois [K, 4] (x1, y1, x2, y2), batch_indices int32 [K].
   * coordinate_transformation_mode "half_pixel" (opset 16's default) is torchvision's aligned=true,
   * "output_half_pixel" aligned=false; sampling_ratio 0 is adaptive. Only mode "avg" is implemented
   * (no conformance case uses "max", whose ONNX definition takes the max of the four weighted corner
   * values per sample rather than of the interpolated samples).
   */
  public static Tensor onnxRoiAlign(Tensor x, Tensor rois, Tensor batchIndices, String mode, int outputHeight,
      int outputWidth, int samplingRatio, float spatialScale, String coordinateTransformationMode) {
    String op = "onnx_roi_align";
    if (!"avg".equals(mode)) {
      throw new IllegalArgumentException(op + ": attribute 'mode': expected 'avg' (mode 'max' is not implemented)"
          + " but got '" + mode + "'");
    }
    boolean aligned;
    if ("half_pixel".equals(coordinateTransformationMode)) {
      aligned = true;
    } else if ("output_half_pixel".equals(coordinateTransformationMode)) {
      aligned = false;
    } else {
      throw new IllegalArgumentException(op + ": attribute 'coordinate_transformation_mode': expected 'half_pixel'"
          + " or 'output_half_pixel' but got '" + coordinateTransformationMode + "'");
    }
    int[] ps = pooledSize(op, new int[] {outputHeight, outputWidth});
    checkFeatures(op, "X", x);
    Checks.dtype(op, "rois", rois, DType.FLOAT32);
    Checks.matrixWithColumns(op, "rois", rois, 4);
    Checks.sameDevice(op, "rois", rois, "X", x);
    Checks.dtype(op, "batch_indices", batchIndices, DType.INT32);
    Checks.sameDevice(op, "batch_indices", batchIndices, "X", x);
    if (batchIndices.dim() != 1 || batchIndices.size(0) != rois.size(0)) {
      throw new IllegalArgumentException(op + ": argument 'batch_indices': expected shape [" + rois.size(0)
          + "] (one per row of 'rois') but got " + Shapes.format(batchIndices.shape()));
    }
    Checks.atMostInt(op, "rois.size(0)", rois.size(0));
    checkScale(op, spatialScale);
    if (batchIndices.numel() > 0) {
      long bad = batchIndices.backend().roi().firstOutOfRange(batchIndices, 0, (int) x.size(0));
      if (bad >= 0) {
        int v;
        try (Tensor host = batchIndices.to(Device.CPU)) {
          v = host.toIntArray()[(int) bad];
        }
        throw new IllegalArgumentException(op + ": argument 'batch_indices': expected values in [0, " + x.size(0)
            + ") (the batch size of 'X') but element " + bad + " is " + v);
      }
    }
    Tensor out = Tensor.empty(x.device(), DType.FLOAT32, rois.size(0), x.size(1), ps[0], ps[1]);
    if (out.numel() > 0) {
      x.backend().roi().roiAlignForward(x, rois, batchIndices, null, 0, ps[0], ps[1], spatialScale, samplingRatio,
          aligned, out);
    }
    return out;
  }

  // ---- checks ---------------------------------------------------------------------------------

  private static int[] pooledSize(String op, int[] outputSize) {
    if (outputSize == null || outputSize.length < 1 || outputSize.length > 2) {
      throw new IllegalArgumentException(op + ": argument 'output_size': expected one int or two (height, width)"
          + " but got " + Arrays.toString(outputSize));
    }
    int h = outputSize[0];
    int w = outputSize.length == 2 ? outputSize[1] : outputSize[0];
    if (h <= 0 || w <= 0) {
      throw new IllegalArgumentException(op + ": argument 'output_size': expected positive sizes but got "
          + Arrays.toString(outputSize));
    }
    return new int[] {h, w};
  }

  private static void checkFeatures(String op, String arg, Tensor t) {
    Checks.dtype(op, arg, t, DType.FLOAT32);
    if (t.dim() != 4) {
      throw new IllegalArgumentException(op + ": argument '" + arg + "': expected a 4-D tensor [N, C, H, W] but got "
          + Shapes.format(t.shape()));
    }
    for (int d = 0; d < 4; d++) {
      Checks.atMostInt(op, arg + ".size(" + d + ")", t.size(d));
    }
    // the gather kernels index tiles of 16x16 pixels with an int grid
    Checks.atMostInt(op, arg + " tiles of 16x16 pixels", t.size(0) * ((t.size(2) + 15) / 16) * ((t.size(3) + 15) / 16));
  }

  private static void checkBoxes(String op, Tensor boxes, Tensor input) {
    Checks.dtype(op, "boxes", boxes, DType.FLOAT32);
    if (boxes.dim() != 2 || boxes.size(1) != 5) {
      throw new IllegalArgumentException(op + ": argument 'boxes': expected shape [K, 5] (batch index, x1, y1, x2, y2)"
          + " but got " + Shapes.format(boxes.shape()));
    }
    Checks.sameDevice(op, "boxes", boxes, "input", input);
    Checks.atMostInt(op, "boxes.size(0)", boxes.size(0));
  }

  private static void checkBoxesForGrad(String op, Tensor boxes, Tensor gradOutput) {
    Checks.dtype(op, "boxes", boxes, DType.FLOAT32);
    if (boxes.dim() != 2 || boxes.size(1) != 5) {
      throw new IllegalArgumentException(op + ": argument 'boxes': expected shape [K, 5] (batch index, x1, y1, x2, y2)"
          + " but got " + Shapes.format(boxes.shape()));
    }
    Checks.sameDevice(op, "boxes", boxes, "grad_output", gradOutput);
    if (boxes.size(0) != gradOutput.size(0)) {
      throw new IllegalArgumentException(op + ": argument 'boxes': expected " + gradOutput.size(0)
          + " rows (grad_output.size(0)) but got " + boxes.size(0));
    }
  }

  private static void checkScale(String op, float scale) {
    if (!Float.isFinite(scale)) {
      throw new IllegalArgumentException(op + ": argument 'spatial_scale': expected a finite float but got " + scale);
    }
  }

  private static long[] checkInputShape(String op, long[] shape) {
    if (shape == null || shape.length != 4) {
      throw new IllegalArgumentException(op + ": argument 'input_shape': expected 4 sizes [N, C, H, W] but got "
          + Arrays.toString(shape));
    }
    for (int d = 0; d < 4; d++) {
      if (shape[d] < 0) {
        throw new IllegalArgumentException(op + ": argument 'input_shape': expected non-negative sizes but got "
            + Arrays.toString(shape));
      }
      Checks.atMostInt(op, "input_shape[" + d + "]", shape[d]);
    }
    Checks.atMostInt(op, "input tiles of 16x16 pixels", shape[0] * ((shape[2] + 15) / 16) * ((shape[3] + 15) / 16));
    return shape.clone();
  }

  private static void checkGradOutput(String op, Tensor gradOutput, Tensor boxes, long[] inputShape) {
    Checks.dtype(op, "grad_output", gradOutput, DType.FLOAT32);
    Checks.open(op, "boxes", boxes);
    if (gradOutput.dim() != 4 || gradOutput.size(1) != inputShape[1] || gradOutput.size(2) <= 0
        || gradOutput.size(3) <= 0) {
      throw new IllegalArgumentException(op + ": argument 'grad_output': expected shape [K, " + inputShape[1]
          + ", PH, PW] with PH, PW > 0 but got " + Shapes.format(gradOutput.shape()));
    }
  }

  private static void checkFeatureList(String op, List<Tensor> features) {
    if (features == null || features.isEmpty()) {
      throw new IllegalArgumentException(op + ": argument 'features': expected at least one feature map but got "
          + (features == null ? "null" : "none"));
    }
    Tensor f0 = features.get(0);
    for (int l = 0; l < features.size(); l++) {
      Tensor f = features.get(l);
      String arg = "features[" + l + "]";
      checkFeatures(op, arg, f);
      Checks.sameDevice(op, arg, f, "features[0]", f0);
      if (f.size(0) != f0.size(0) || f.size(1) != f0.size(1)) {
        throw new IllegalArgumentException(op + ": argument '" + arg + "': expected N=" + f0.size(0) + " and C="
            + f0.size(1) + " (those of features[0]) but got " + Shapes.format(f.shape()));
      }
    }
  }

  /**
   * torchvision's level range: k_min = -log2(scales[0]), k_max = -log2(scales[last]); levels must be
   * consecutive powers of two (each map half the previous), so level k - k_min is features[k - k_min].
   */
  private static int[] levelRange(String op, float[] scales, int levels, int canonicalScale) {
    if (scales == null || scales.length != levels) {
      throw new IllegalArgumentException(op + ": argument 'scales': expected " + levels + " scales (one per feature"
          + " map) but got " + (scales == null ? "null" : String.valueOf(scales.length)));
    }
    if (canonicalScale <= 0) {
      throw new IllegalArgumentException(op + ": argument 'canonical_scale': expected a positive int but got "
          + canonicalScale);
    }
    int kMin = 0;
    for (int l = 0; l < scales.length; l++) {
      float s = scales[l];
      int exp = Math.getExponent(s);
      if (!(s > 0) || !Float.isFinite(s) || s != Math.scalb(1.0f, exp)) {
        throw new IllegalArgumentException(op + ": argument 'scales': expected powers of two but scale " + l + " is "
            + s + " (torchvision infers 2^round(log2(feature size / image size)))");
      }
      if (l == 0) {
        kMin = -exp;
      } else if (-exp != kMin + l) {
        throw new IllegalArgumentException(op + ": argument 'scales': expected each level to halve the previous"
            + " one (FPN levels " + kMin + ", " + (kMin + 1) + ", ...) but got " + Arrays.toString(scales));
      }
    }
    return new int[] {kMin, kMin + scales.length - 1};
  }

  private static void checkBatchIndices(String op, Tensor boxes, long numImages) {
    if (boxes.size(0) == 0) {
      return;
    }
    Backend b = boxes.backend();
    long bad = b.roi().firstInvalidBatchIndex(boxes, (int) numImages);
    if (bad >= 0) {
      float v;
      try (Tensor host = boxes.to(Device.CPU)) {
        v = host.toFloatArray()[(int) (bad * 5)];
      }
      throw new IllegalArgumentException(op + ": argument 'boxes': expected batch indices (column 0) in [0, "
          + numImages + ") but row " + bad + " has " + v);
    }
  }
}
