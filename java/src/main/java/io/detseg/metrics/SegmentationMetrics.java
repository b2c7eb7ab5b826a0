package io.detseg.metrics;

import io.detseg.tensor.DType;
import io.detseg.tensor.Device;
import io.detseg.tensor.Shapes;
import io.detseg.tensor.Tensor;
import java.util.Arrays;

/**
 * Semantic-segmentation metrics from a confusion matrix (CPU). Definitions (docs/kernels/losses.md):
 * the matrix counts pixels by (target class, predicted class), ignoring pixels whose target is
 * ignore_index; pixel accuracy = trace / total; per-class IoU = TP / (TP + FP + FN); per-class Dice/F1 =
 * 2 TP / (2 TP + FP + FN); a class whose denominator is 0 (absent from both prediction and target) has
 * NaN and is left out of the means (mIoU, macro Dice), as torchmetrics and mmseg's nanmean do. Micro Dice
 * pools TP, FP, FN over classes (for single-label pixels it equals pixel accuracy).
 */
public final class SegmentationMetrics {
  private final long[][] matrix;
  private final int numClasses;

  private SegmentationMetrics(long[][] matrix) {
    this.matrix = matrix;
    this.numClasses = matrix.length;
  }

  /** An empty accumulator for numClasses classes. */
  public static SegmentationMetrics create(int numClasses) {
    if (numClasses < 1) {
      throw new IllegalArgumentException("segmentation_metrics: argument 'num_classes': expected at least 1 but got "
          + numClasses);
    }
    return new SegmentationMetrics(new long[numClasses][numClasses]);
  }

  /**
   * Adds pixels: prediction and target class maps of equal length. A target equal to ignoreIndex (null:
   * none) is skipped; any other target or prediction outside [0, numClasses) is an error.
   */
  public SegmentationMetrics update(int[] prediction, int[] target, Integer ignoreIndex) {
    if (prediction.length != target.length) {
      throw new IllegalArgumentException("segmentation_metrics: argument 'prediction': expected " + target.length
          + " values (as 'target') but got " + prediction.length);
    }
    for (int i = 0; i < target.length; i++) {
      int t = target[i];
      if (ignoreIndex != null && t == ignoreIndex) {
        continue;
      }
      int p = prediction[i];
      if (t < 0 || t >= numClasses) {
        throw new IllegalArgumentException("segmentation_metrics: argument 'target': expected class indices in [0, "
            + numClasses + ")" + (ignoreIndex == null ? "" : " or ignore_index " + ignoreIndex) + " but got " + t
            + " at index " + i);
      }
      if (p < 0 || p >= numClasses) {
        throw new IllegalArgumentException("segmentation_metrics: argument 'prediction': expected class indices in [0, "
            + numClasses + ") but got " + p + " at index " + i);
      }
      matrix[t][p]++;
    }
    return this;
  }

  /** As update(int[], int[], Integer) for int32 CPU tensors of the same shape. */
  public SegmentationMetrics update(Tensor prediction, Tensor target, Integer ignoreIndex) {
    for (Tensor t : new Tensor[] {prediction, target}) {
      if (t.dtype() != DType.INT32 || t.device() != Device.CPU) {
        throw new IllegalArgumentException("segmentation_metrics: expected int32 tensors on the cpu but got " + t);
      }
    }
    if (!Arrays.equals(prediction.shape(), target.shape())) {
      throw new IllegalArgumentException("segmentation_metrics: argument 'prediction': expected shape "
          + Shapes.format(target.shape()) + " (the shape of 'target') but got " + Shapes.format(prediction.shape()));
    }
    return update(prediction.toIntArray(), target.toIntArray(), ignoreIndex);
  }

  /** The matrix: [target class][predicted class] pixel counts (a copy). */
  public long[][] confusionMatrix() {
    long[][] c = new long[numClasses][];
    for (int i = 0; i < numClasses; i++) {
      c[i] = matrix[i].clone();
    }
    return c;
  }

  public long total() {
    long s = 0;
    for (long[] row : matrix) {
      for (long v : row) {
        s += v;
      }
    }
    return s;
  }

  /** Correct pixels / counted pixels; NaN when nothing was counted. */
  public double pixelAccuracy() {
    long correct = 0;
    for (int i = 0; i < numClasses; i++) {
      correct += matrix[i][i];
    }
    long t = total();
    return t == 0 ? Double.NaN : (double) correct / t;
  }

  private long tp(int c) {
    return matrix[c][c];
  }

  /** Pixels predicted c whose target is another class. */
  private long fp(int c) {
    long s = 0;
    for (int t = 0; t < numClasses; t++) {
      if (t != c) {
        s += matrix[t][c];
      }
    }
    return s;
  }

  /** Pixels of target c predicted as another class. */
  private long fn(int c) {
    long s = 0;
    for (int p = 0; p < numClasses; p++) {
      if (p != c) {
        s += matrix[c][p];
      }
    }
    return s;
  }

  /** Per-class IoU; NaN for a class absent from both. */
  public double[] iou() {
    double[] r = new double[numClasses];
    for (int c = 0; c < numClasses; c++) {
      long den = tp(c) + fp(c) + fn(c);
      r[c] = den == 0 ? Double.NaN : (double) tp(c) / den;
    }
    return r;
  }

  /** Mean of the non-NaN per-class IoUs (NaN if all are NaN). */
  public double meanIou() {
    return nanMean(iou());
  }

  /** Per-class Dice / F1 = 2 TP / (2 TP + FP + FN); NaN for a class absent from both. */
  public double[] dice() {
    double[] r = new double[numClasses];
    for (int c = 0; c < numClasses; c++) {
      long den = 2 * tp(c) + fp(c) + fn(c);
      r[c] = den == 0 ? Double.NaN : 2.0 * tp(c) / den;
    }
    return r;
  }

  /** Macro Dice / F1: the mean of the non-NaN per-class values. */
  public double diceMacro() {
    return nanMean(dice());
  }

  /** Micro Dice / F1: 2 sum TP / (2 sum TP + sum FP + sum FN). */
  public double diceMicro() {
    long tp = 0;
    long fp = 0;
    long fn = 0;
    for (int c = 0; c < numClasses; c++) {
      tp += tp(c);
      fp += fp(c);
      fn += fn(c);
    }
    long den = 2 * tp + fp + fn;
    return den == 0 ? Double.NaN : 2.0 * tp / den;
  }

  static double nanMean(double[] v) {
    double s = 0;
    int n = 0;
    for (double x : v) {
      if (!Double.isNaN(x)) {
        s += x;
        n++;
      }
    }
    return n == 0 ? Double.NaN : s / n;
  }
}
