package io.detseg.backend;

import io.detseg.tensor.Tensor;

/**
 * Detection and segmentation losses, forward and backward (losses issue), on one backend. Arguments are
 * checked by io.detseg.ops before they get here: tensors are contiguous, on this backend's device, of
 * the sizes the comments give; outputs are preallocated. Reductions are {@link #NONE}, {@link #MEAN},
 * {@link #SUM}; with NONE a backward's gradOutput has one value per loss element, else it is 0-d.
 * Methods taking class-index targets return the smallest flat position of a target outside [0, C) that
 * is not ignore_index (such targets are never used to index memory), or -1.
 */
public interface LossKernels {
  int NONE = 0;
  int MEAN = 1;
  int SUM = 2;

  /** Softmax losses of logits laid out [n, c, s]: which one and its parameters. */
  record SoftmaxLoss(int mode, int ignoreIndex, float labelSmoothing, float alpha, float gamma) {
    /** torch.nn.functional.cross_entropy. */
    public static final int CROSS_ENTROPY = 0;
    /** Softmax focal loss (docs/kernels/losses.md). */
    public static final int FOCAL = 1;
  }

  /**
   * A region loss (segmentation_models_pytorch's DiceLoss / JaccardLoss semantics): mode BINARY,
   * MULTICLASS or MULTILABEL; kind DICE or JACCARD; ignoreIndex used when hasIgnore.
   */
  record Region(int mode, int kind, boolean fromLogits, boolean hasIgnore, int ignoreIndex, float smooth, float eps,
      boolean logLoss) {
    public static final int BINARY = 0;
    public static final int MULTICLASS = 1;
    public static final int MULTILABEL = 2;
    public static final int DICE = 0;
    public static final int JACCARD = 1;
  }

  /** YOLOv1's loss parameters (grid S, B boxes per cell, C classes). */
  record Yolo(int grid, int boxes, int classes, float lambdaCoord, float lambdaNoobj, boolean iouTarget) {}

  /** A weight broadcast over a flat tensor as w[(i / inner) % mid]; w null means no weight. */
  record Broadcast(Tensor w, long inner, long mid) {}

  /** A pointwise loss of x [n] against t [n] (t null means zeros). */
  record Pointwise(int kind, Tensor x, Tensor t, Broadcast weight, Broadcast posWeight, float a, float b, long n) {
    public static final int BCE = 0;
    public static final int BCE_WITH_LOGITS = 1;
    public static final int SIGMOID_FOCAL = 2;
    public static final int BALANCED_BCE = 3;
    public static final int SMOOTH_L1 = 4;
    public static final int L1 = 5;
    public static final int MSE = 6;
  }

  /**
   * Forward: out [n * s] (NONE) or 0-d; logProb ([n, c, s], may be null) receives log_softmax(x, 1).
   * Weight [c] may be null.
   */
  long softmaxLoss(SoftmaxLoss spec, Tensor input, Tensor target, Tensor weight, long n, long c, long s,
      int reduction, Tensor out, Tensor logProb);

  long softmaxLossBackward(SoftmaxLoss spec, Tensor input, Tensor target, Tensor weight, long n, long c, long s,
      int reduction, Tensor gradOutput, Tensor gradInput);

  /** torch.nn.functional.nll_loss on log-probabilities [n, c, s]. */
  long nllLoss(Tensor input, Tensor target, Tensor weight, long n, long c, long s, int ignoreIndex, int reduction,
      Tensor out);

  long nllLossBackward(Tensor target, Tensor weight, long n, long c, long s, int ignoreIndex, int reduction,
      Tensor gradOutput, Tensor gradInput);

  /** Forward of a pointwise loss; returns the first index of x outside [0, 1] for BCE (else -1). */
  long pointwiseLoss(Pointwise p, int reduction, Tensor out);

  void pointwiseLossBackward(Pointwise p, int reduction, Tensor gradOutput, Tensor gradInput);

  /** Forward and gradient (for a unit upstream gradient) in one pass; returns as pointwiseLoss. */
  long pointwiseLossFused(Pointwise p, int reduction, Tensor out, Tensor gradInput);

  /** out[i] = 0.5 sum_k (p[i, k] - t[i, k])^2 + reg for p, t [n, k]; reg is a 0-d tensor on this device. */
  void rowsHalfSquared(Tensor p, Tensor t, long n, long k, Tensor reg, Tensor out);

  /** gradInput[i, k] = (p - t)[i, k] * gradOutput[i or 0] / divisor. */
  void rowsHalfSquaredBackward(Tensor p, Tensor t, long n, long k, Tensor gradOutput, boolean gradElementwise,
      float divisor, Tensor gradInput);

  /**
   * Region loss of predictions x [n, c, s]; targets: floatTarget (binary / multilabel, indexed as x) or
   * intTarget [n, s] (multiclass), the other null. out: [c] (NONE) or 0-d.
   */
  long regionLoss(Region spec, Tensor x, Tensor floatTarget, Tensor intTarget, long n, long c, long s, int reduction,
      Tensor out);

  /** gradOutput: [c] for NONE, else 0-d; gradInput [n, c, s]. */
  long regionLossBackward(Region spec, Tensor x, Tensor floatTarget, Tensor intTarget, long n, long c, long s,
      int reduction, Tensor gradOutput, Tensor gradInput);

  /** dst [r, k] = src [r, c, k] at each row's label; returns the first row whose label is outside [0, c), or -1. */
  long gatherByLabel(Tensor src, Tensor labels, long r, long c, long k, Tensor dst);

  /** dst [r, c, k]: src [r, k] at each row's label, 0 elsewhere. */
  void scatterByLabel(Tensor src, Tensor labels, long r, long c, long k, Tensor dst);

  /** mode 0: weight = [label >= 1] (target unused, may be null); mode 1: target = [label == 1], weight = [label >= 0]. */
  void labelMasks(Tensor labels, long r, int mode, Tensor target, Tensor weight);

  /** SSD hard negative mining: used [n, a] = positives and the top ratio * positives negatives by loss. */
  void hardNegativeMining(Tensor loss, Tensor labels, long n, long a, int ratio, Tensor used);

  /** YOLOv1 per-image losses outImg [n] of predictions [n, S, S, 5B + C] against targets [n, S, S, 5 + C]. */
  void yoloLoss(Yolo spec, Tensor pred, Tensor target, long n, Tensor outImg);

  /** gradInput = scale * d loss / d pred, scale = gradOutput[img or 0] / divisor. */
  void yoloLossBackward(Yolo spec, Tensor pred, Tensor target, long n, Tensor gradOutput, boolean gradElementwise,
      float divisor, Tensor gradInput);
}
