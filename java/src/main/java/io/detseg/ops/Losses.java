package io.detseg.ops;

import io.detseg.backend.LossKernels;
import io.detseg.backend.LossKernels.Broadcast;
import io.detseg.backend.LossKernels.Pointwise;
import io.detseg.backend.LossKernels.SoftmaxLoss;
import io.detseg.ops.LossArgs.ClassShape;
import io.detseg.tensor.DType;
import io.detseg.tensor.Device;
import io.detseg.tensor.Shapes;
import io.detseg.tensor.Tensor;

/**
 * Classification and regression losses, named and defined as PyTorch's torch.nn.functional (and
 * torchvision.ops) functions, forward and backward, on CPU and CUDA. Contracts, including the losses
 * PyTorch does not have (softmax focal, balanced BCE, R-CNN's L2), are in docs/kernels/losses.md.
 *
 * <p>Reductions: {@link Reduction#NONE} gives one value per element (per position for class-index
 * losses), MEAN and SUM a 0-d tensor. Backward functions take the gradient of the forward's output
 * (same shape) and return the gradient of the input (the logits / predictions); targets, weights and
 * pos_weight are not differentiated. Class-index targets are int32; a target outside [0, C) that is
 * not ignore_index raises IllegalArgumentException naming the position. NaN inputs give NaN losses.
 */
public final class Losses {
  /** PyTorch's default ignore_index. */
  public static final int DEFAULT_IGNORE_INDEX = -100;
  /** ignore_index meaning "ignore nothing" (ONNX's SoftmaxCrossEntropyLoss without the attribute). */
  public static final int NO_IGNORE_INDEX = Integer.MIN_VALUE;

  private Losses() {}

  /** A loss and the gradient of its input (for a unit upstream gradient), from one fused pass. */
  public record LossAndGrad(Tensor loss, Tensor gradInput) implements AutoCloseable {
    @Override
    public void close() {
      loss.close();
      gradInput.close();
    }
  }

  /** ONNX SoftmaxCrossEntropyLoss's two outputs. */
  public record LossAndLogProb(Tensor loss, Tensor logProb) implements AutoCloseable {
    @Override
    public void close() {
      loss.close();
      logProb.close();
    }
  }

  // ---- cross-entropy ---------------------------------------------------------------------------------

  /**
   * torch.nn.functional.cross_entropy(input, target, weight, ignore_index=-100, reduction='mean',
   * label_smoothing=0) with class-index targets: input [N, C, d...] (or [C]) logits, target [N, d...]
   * int32. Mean divides by the sum of weight[target] over non-ignored positions (their count without
   * weights), for the smoothing term too.
   */
  public static Tensor crossEntropy(Tensor input, Tensor target, Tensor weight, int ignoreIndex, Reduction reduction,
      float labelSmoothing) {
    LossArgs.range("cross_entropy", "label_smoothing", labelSmoothing, 0.0f, 1.0f);
    return softmaxForward("cross_entropy", "input", input, "target", target, weight,
        new SoftmaxLoss(SoftmaxLoss.CROSS_ENTROPY, ignoreIndex, labelSmoothing, 1.0f, 0.0f), reduction, false).loss();
  }

  /** cross_entropy with PyTorch's defaults (no weight, ignore_index -100, mean, no smoothing). */
  public static Tensor crossEntropy(Tensor input, Tensor target) {
    return crossEntropy(input, target, null, DEFAULT_IGNORE_INDEX, Reduction.MEAN, 0.0f);
  }

  public static Tensor crossEntropyBackward(Tensor gradOutput, Tensor input, Tensor target, Tensor weight,
      int ignoreIndex, Reduction reduction, float labelSmoothing) {
    LossArgs.range("cross_entropy_backward", "label_smoothing", labelSmoothing, 0.0f, 1.0f);
    return softmaxBackward("cross_entropy_backward", gradOutput, input, target, weight,
        new SoftmaxLoss(SoftmaxLoss.CROSS_ENTROPY, ignoreIndex, labelSmoothing, 1.0f, 0.0f), reduction);
  }

  /**
   * ONNX SoftmaxCrossEntropyLoss(scores, labels, weights?) with attributes ignore_index (or
   * {@link #NO_IGNORE_INDEX}) and reduction: the loss (cross_entropy) and log_prob = log_softmax(scores, 1).
   */
  public static LossAndLogProb softmaxCrossEntropyLoss(Tensor scores, Tensor labels, Tensor weights, int ignoreIndex,
      Reduction reduction) {
    return softmaxForward("softmax_cross_entropy_loss", "scores", scores, "labels", labels, weights,
        new SoftmaxLoss(SoftmaxLoss.CROSS_ENTROPY, ignoreIndex, 0.0f, 1.0f, 0.0f), reduction, true);
  }

  // ---- softmax focal ---------------------------------------------------------------------------------

  /**
   * Softmax (multi-class) focal loss, defined in docs/kernels/losses.md: per position
   * -alpha * weight[t] * (1 - p_t)^gamma * log p_t with p = softmax(input, 1); mean divides by the count of
   * non-ignored positions. gamma = 0, alpha = 1, no weight is cross_entropy.
   */
  public static Tensor softmaxFocalLoss(Tensor input, Tensor target, Tensor weight, float alpha, float gamma,
      int ignoreIndex, Reduction reduction) {
    focalParams("softmax_focal_loss", alpha, gamma);
    return softmaxForward("softmax_focal_loss", "input", input, "target", target, weight,
        new SoftmaxLoss(SoftmaxLoss.FOCAL, ignoreIndex, 0.0f, alpha, gamma), reduction, false).loss();
  }

  public static Tensor softmaxFocalLossBackward(Tensor gradOutput, Tensor input, Tensor target, Tensor weight,
      float alpha, float gamma, int ignoreIndex, Reduction reduction) {
    focalParams("softmax_focal_loss_backward", alpha, gamma);
    return softmaxBackward("softmax_focal_loss_backward", gradOutput, input, target, weight,
        new SoftmaxLoss(SoftmaxLoss.FOCAL, ignoreIndex, 0.0f, alpha, gamma), reduction);
  }

  private static void focalParams(String op, float alpha, float gamma) {
    LossArgs.finite(op, "alpha", alpha);
    LossArgs.finite(op, "gamma", gamma);
    if (gamma < 0) {
      throw new IllegalArgumentException(op + ": argument 'gamma': expected a value >= 0 but got " + gamma);
    }
  }

  private static LossAndLogProb softmaxForward(String op, String inputName, Tensor input, String targetName,
      Tensor target, Tensor weight, SoftmaxLoss spec, Reduction reduction, boolean withLogProb) {
    LossArgs.reduction(op, reduction);
    ClassShape sh = LossArgs.classShape(op, inputName, input, targetName, target);
    LossArgs.classWeight(op, "weight", weight, sh.c(), inputName, input);
    Device d = input.device();
    Tensor logProb = withLogProb ? Tensor.empty(d, DType.FLOAT32, input.shape()) : null;
    if (sh.positions() == 0) {
      return new LossAndLogProb(LossArgs.emptyLoss(d, reduction, sh.targetShape()), logProb);
    }
    Tensor out = reduction == Reduction.NONE ? Tensor.empty(d, DType.FLOAT32, sh.targetShape())
        : Tensor.empty(d, DType.FLOAT32);
    long bad = input.backend().loss().softmaxLoss(spec, input, target, weight, sh.n(), sh.c(), sh.s(),
        reduction.code(), out, logProb);
    if (bad >= 0) {
      LossArgs.badTarget(op, targetName, target, bad, sh.c(), spec.ignoreIndex(), out, logProb);
    }
    return new LossAndLogProb(out, logProb);
  }

  private static Tensor softmaxBackward(String op, Tensor gradOutput, Tensor input, Tensor target, Tensor weight,
      SoftmaxLoss spec, Reduction reduction) {
    LossArgs.reduction(op, reduction);
    ClassShape sh = LossArgs.classShape(op, "input", input, "target", target);
    LossArgs.classWeight(op, "weight", weight, sh.c(), "input", input);
    LossArgs.gradOutput(op, gradOutput, reduction, sh.targetShape(), input);
    Tensor grad = Tensor.empty(input.device(), DType.FLOAT32, input.shape());
    if (sh.positions() == 0) {
      return grad;
    }
    long bad = input.backend().loss().softmaxLossBackward(spec, input, target, weight, sh.n(), sh.c(), sh.s(),
        reduction.code(), gradOutput, grad);
    if (bad >= 0) {
      LossArgs.badTarget(op, "target", target, bad, sh.c(), spec.ignoreIndex(), grad);
    }
    return grad;
  }

  // ---- NLL -------------------------------------------------------------------------------------------

  /**
   * torch.nn.functional.nll_loss(input, target, weight, ignore_index=-100, reduction='mean') on
   * log-probabilities input [N, C, d...] (or [C]); also ONNX NegativeLogLikelihoodLoss.
   */
  public static Tensor nllLoss(Tensor input, Tensor target, Tensor weight, int ignoreIndex, Reduction reduction) {
    String op = "nll_loss";
    LossArgs.reduction(op, reduction);
    ClassShape sh = LossArgs.classShape(op, "input", input, "target", target);
    LossArgs.classWeight(op, "weight", weight, sh.c(), "input", input);
    if (sh.positions() == 0) {
      return LossArgs.emptyLoss(input.device(), reduction, sh.targetShape());
    }
    Tensor out = reduction == Reduction.NONE ? Tensor.empty(input.device(), DType.FLOAT32, sh.targetShape())
        : Tensor.empty(input.device(), DType.FLOAT32);
    long bad = input.backend().loss().nllLoss(input, target, weight, sh.n(), sh.c(), sh.s(), ignoreIndex,
        reduction.code(), out);
    if (bad >= 0) {
      LossArgs.badTarget(op, "target", target, bad, sh.c(), ignoreIndex, out);
    }
    return out;
  }

  public static Tensor nllLossBackward(Tensor gradOutput, Tensor input, Tensor target, Tensor weight, int ignoreIndex,
      Reduction reduction) {
    String op = "nll_loss_backward";
    LossArgs.reduction(op, reduction);
    ClassShape sh = LossArgs.classShape(op, "input", input, "target", target);
    LossArgs.classWeight(op, "weight", weight, sh.c(), "input", input);
    LossArgs.gradOutput(op, gradOutput, reduction, sh.targetShape(), input);
    if (input.numel() == 0) {
      return Tensor.empty(input.device(), DType.FLOAT32, input.shape());
    }
    Tensor grad = Tensor.empty(input.device(), DType.FLOAT32, input.shape());
    long bad = input.backend().loss().nllLossBackward(target, weight, sh.n(), sh.c(), sh.s(), ignoreIndex,
        reduction.code(), gradOutput, grad);
    if (bad >= 0) {
      LossArgs.badTarget(op, "target", target, bad, sh.c(), ignoreIndex, grad);
    }
    return grad;
  }

  // ---- pointwise losses -------------------------------------------------------------------------------

  /** torch.nn.functional.binary_cross_entropy(input, target, weight, reduction) on probabilities. */
  public static Tensor binaryCrossEntropy(Tensor input, Tensor target, Tensor weight, Reduction reduction) {
    String op = "binary_cross_entropy";
    return pointwise(op, pw(op, Pointwise.BCE, input, target, weight, null, 0, 0), reduction);
  }

  public static Tensor binaryCrossEntropyBackward(Tensor gradOutput, Tensor input, Tensor target, Tensor weight,
      Reduction reduction) {
    String op = "binary_cross_entropy_backward";
    return pointwiseBackward(op, gradOutput, pw(op, Pointwise.BCE, input, target, weight, null, 0, 0), reduction);
  }

  /**
   * torch.nn.functional.binary_cross_entropy_with_logits(input, target, weight, reduction, pos_weight):
   * weight and pos_weight broadcast over input (pos_weight usually [C] over [..., C]).
   */
  public static Tensor binaryCrossEntropyWithLogits(Tensor input, Tensor target, Tensor weight, Tensor posWeight,
      Reduction reduction) {
    String op = "binary_cross_entropy_with_logits";
    return pointwise(op, pw(op, Pointwise.BCE_WITH_LOGITS, input, target, weight, posWeight, 0, 0), reduction);
  }

  public static Tensor binaryCrossEntropyWithLogitsBackward(Tensor gradOutput, Tensor input, Tensor target,
      Tensor weight, Tensor posWeight, Reduction reduction) {
    String op = "binary_cross_entropy_with_logits_backward";
    return pointwiseBackward(op, gradOutput,
        pw(op, Pointwise.BCE_WITH_LOGITS, input, target, weight, posWeight, 0, 0), reduction);
  }

  /**
   * Weighted cross-entropy (β on positives; Jadon's survey, Pihur et al.): binary cross-entropy on
   * logits with the positive term scaled by beta, -[beta t log σ(x) + (1 - t) log(1 - σ(x))] —
   * binary_cross_entropy_with_logits with pos_weight = beta.
   */
  public static Tensor weightedCrossEntropy(Tensor input, Tensor target, float beta, Reduction reduction) {
    String op = "weighted_cross_entropy";
    LossArgs.finite(op, "beta", beta);
    try (Tensor b = LossArgs.scalar(input.device(), beta)) {
      return pointwise(op, pw(op, Pointwise.BCE_WITH_LOGITS, input, target, null, b, 0, 0), reduction);
    }
  }

  public static Tensor weightedCrossEntropyBackward(Tensor gradOutput, Tensor input, Tensor target, float beta,
      Reduction reduction) {
    String op = "weighted_cross_entropy_backward";
    LossArgs.finite(op, "beta", beta);
    try (Tensor b = LossArgs.scalar(input.device(), beta)) {
      return pointwiseBackward(op, gradOutput, pw(op, Pointwise.BCE_WITH_LOGITS, input, target, null, b, 0, 0),
          reduction);
    }
  }

  /**
   * Balanced cross-entropy on logits (HED's class-balanced loss; Jadon's survey):
   * -[beta t log σ(x) + (1 - beta)(1 - t) log(1 - σ(x))]. A NaN beta means HED's choice, the fraction
   * of negatives in the target: beta = 1 - mean(target), computed per call.
   */
  public static Tensor balancedCrossEntropy(Tensor input, Tensor target, float beta, Reduction reduction) {
    String op = "balanced_cross_entropy";
    float b = balancedBeta(op, input, target, beta);
    return pointwise(op, pw(op, Pointwise.BALANCED_BCE, input, target, null, null, b, 0), reduction);
  }

  public static Tensor balancedCrossEntropyBackward(Tensor gradOutput, Tensor input, Tensor target, float beta,
      Reduction reduction) {
    String op = "balanced_cross_entropy_backward";
    float b = balancedBeta(op, input, target, beta);
    return pointwiseBackward(op, gradOutput, pw(op, Pointwise.BALANCED_BCE, input, target, null, null, b, 0),
        reduction);
  }

  /** The beta balanced_cross_entropy uses: the given one, or 1 - mean(target) when beta is NaN. */
  public static float balancedBeta(String op, Tensor input, Tensor target, float beta) {
    if (!Float.isNaN(beta)) {
      LossArgs.range(op, "beta", beta, 0.0f, 1.0f);
      return beta;
    }
    Checks.dtype(op, "target", target, DType.FLOAT32);
    if (target.numel() == 0) {
      return 0.5f;
    }
    try (Tensor s = Ops.sum(target)) {
      return (float) (1.0 - s.item() / (double) target.numel());
    }
  }

  /**
   * torchvision.ops.sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2, reduction='none'): alpha < 0
   * disables the alpha weighting, as in torchvision.
   */
  public static Tensor sigmoidFocalLoss(Tensor inputs, Tensor targets, float alpha, float gamma, Reduction reduction) {
    String op = "sigmoid_focal_loss";
    focalParams(op, alpha, gamma);
    return pointwise(op, pw(op, Pointwise.SIGMOID_FOCAL, inputs, targets, null, null, alpha, gamma), reduction);
  }

  public static Tensor sigmoidFocalLossBackward(Tensor gradOutput, Tensor inputs, Tensor targets, float alpha,
      float gamma, Reduction reduction) {
    String op = "sigmoid_focal_loss_backward";
    focalParams(op, alpha, gamma);
    return pointwiseBackward(op, gradOutput,
        pw(op, Pointwise.SIGMOID_FOCAL, inputs, targets, null, null, alpha, gamma), reduction);
  }

  /**
   * sigmoid_focal_loss and its input gradient (for a unit upstream gradient: the gradient of the mean or
   * sum, or of each element's own loss for 'none') in one fused pass over the data.
   */
  public static LossAndGrad sigmoidFocalLossWithGrad(Tensor inputs, Tensor targets, float alpha, float gamma,
      Reduction reduction) {
    String op = "sigmoid_focal_loss";
    focalParams(op, alpha, gamma);
    return fused(op, pw(op, Pointwise.SIGMOID_FOCAL, inputs, targets, null, null, alpha, gamma), reduction);
  }

  /** binary_cross_entropy_with_logits and its gradient in one fused pass (as sigmoidFocalLossWithGrad). */
  public static LossAndGrad binaryCrossEntropyWithLogitsWithGrad(Tensor input, Tensor target, Tensor weight,
      Tensor posWeight, Reduction reduction) {
    String op = "binary_cross_entropy_with_logits";
    return fused(op, pw(op, Pointwise.BCE_WITH_LOGITS, input, target, weight, posWeight, 0, 0), reduction);
  }

  /** torch.nn.functional.smooth_l1_loss(input, target, reduction='mean', beta=1.0); beta = 0 is L1. */
  public static Tensor smoothL1Loss(Tensor input, Tensor target, Reduction reduction, float beta) {
    String op = "smooth_l1_loss";
    smoothBeta(op, beta);
    return pointwise(op, pw(op, Pointwise.SMOOTH_L1, input, target, null, null, beta, 0), reduction);
  }

  public static Tensor smoothL1LossBackward(Tensor gradOutput, Tensor input, Tensor target, Reduction reduction,
      float beta) {
    String op = "smooth_l1_loss_backward";
    smoothBeta(op, beta);
    return pointwiseBackward(op, gradOutput, pw(op, Pointwise.SMOOTH_L1, input, target, null, null, beta, 0),
        reduction);
  }

  private static void smoothBeta(String op, float beta) {
    LossArgs.finite(op, "beta", beta);
    if (beta < 0) {
      throw new IllegalArgumentException(op + ": argument 'beta': expected a value >= 0 but got " + beta);
    }
  }

  /** torch.nn.functional.l1_loss(input, target, reduction='mean'). */
  public static Tensor l1Loss(Tensor input, Tensor target, Reduction reduction) {
    String op = "l1_loss";
    return pointwise(op, pw(op, Pointwise.L1, input, target, null, null, 0, 0), reduction);
  }

  public static Tensor l1LossBackward(Tensor gradOutput, Tensor input, Tensor target, Reduction reduction) {
    String op = "l1_loss_backward";
    return pointwiseBackward(op, gradOutput, pw(op, Pointwise.L1, input, target, null, null, 0, 0), reduction);
  }

  /** torch.nn.functional.mse_loss(input, target, reduction='mean'). */
  public static Tensor mseLoss(Tensor input, Tensor target, Reduction reduction) {
    String op = "mse_loss";
    return pointwise(op, pw(op, Pointwise.MSE, input, target, null, null, 1.0f, 0), reduction);
  }

  public static Tensor mseLossBackward(Tensor gradOutput, Tensor input, Tensor target, Reduction reduction) {
    String op = "mse_loss_backward";
    return pointwiseBackward(op, gradOutput, pw(op, Pointwise.MSE, input, target, null, null, 1.0f, 0), reduction);
  }

  // ---- R-CNN box regression (L2 with weight regularization) ---------------------------------------

  /** The two gradients of {@link #rcnnBoxRegressionLoss}. */
  public record InputAndWeightGrads(Tensor gradInput, Tensor gradWeight) implements AutoCloseable {
    @Override
    public void close() {
      gradInput.close();
      gradWeight.close();
    }
  }

  /**
   * R-CNN's bounding-box regressor objective (Girshick et al. 2014, appendix C), defined in
   * docs/kernels/losses.md: predictions input [N, K] (K = 4 box deltas d(P) = w^T phi(P)), targets
   * [N, K], the regressor's parameters weight (any shape) and lambda (R-CNN: 1000):
   * sum = 0.5 * sum (target - input)^2 + lambda * ||weight||^2; none = per row
   * 0.5 * ||target_i - input_i||^2 + lambda * ||weight||^2 / N (so sum(none) = sum); mean = sum / N.
   */
  public static Tensor rcnnBoxRegressionLoss(Tensor input, Tensor target, Tensor weight, float lambda,
      Reduction reduction) {
    String op = "rcnn_box_regression_loss";
    rcnnArgs(op, input, target, weight, lambda, reduction);
    Device d = input.device();
    long n = input.size(0);
    long k = input.size(1);
    if (n == 0) {
      return LossArgs.emptyLoss(d, reduction, new long[] {0});
    }
    float perRow = reduction == Reduction.SUM ? 1.0f : 1.0f / n;
    try (Tensor reg = pointwise(op, new Pointwise(Pointwise.MSE, weight, null, null, null,
        reduction == Reduction.SUM ? lambda : lambda / n, 0, weight.numel()), Reduction.SUM)) {
      if (reduction == Reduction.NONE) {
        Tensor out = Tensor.empty(d, DType.FLOAT32, n);
        input.backend().loss().rowsHalfSquared(input, target, n, k, reg, out);
        return out;
      }
      try (Tensor data = pointwise(op, new Pointwise(Pointwise.MSE, input, target, null, null, 0.5f * perRow, 0,
          input.numel()), Reduction.SUM)) {
        return Ops.add(data, reg);
      }
    }
  }

  /** Gradients of rcnnBoxRegressionLoss with respect to input and weight. */
  public static InputAndWeightGrads rcnnBoxRegressionLossBackward(Tensor gradOutput, Tensor input, Tensor target,
      Tensor weight, float lambda, Reduction reduction) {
    String op = "rcnn_box_regression_loss_backward";
    rcnnArgs(op, input, target, weight, lambda, reduction);
    long n = input.size(0);
    long k = input.size(1);
    LossArgs.gradOutput(op, gradOutput, reduction, new long[] {n}, input);
    Device d = input.device();
    Tensor gi = Tensor.empty(d, DType.FLOAT32, input.shape());
    Tensor gw = Tensor.zeros(d, DType.FLOAT32, weight.shape());
    if (n == 0) {
      return new InputAndWeightGrads(gi, gw);
    }
    input.backend().loss().rowsHalfSquaredBackward(input, target, n, k, gradOutput, reduction == Reduction.NONE,
        reduction == Reduction.MEAN ? (float) n : 1.0f, gi);
    if (weight.numel() > 0) {
      // d/dw of a * ||w||^2 times the upstream scalar: pointwise MSE (against 0) backward with reduction sum.
      float a = reduction == Reduction.SUM ? lambda : lambda / n;
      Pointwise reg = new Pointwise(Pointwise.MSE, weight, null, null, null, a, 0, weight.numel());
      gw.close();
      if (reduction == Reduction.NONE) {
        try (Tensor total = Ops.sum(gradOutput)) {
          gw = pointwiseBackward(op, total, reg, Reduction.SUM);
        }
      } else {
        gw = pointwiseBackward(op, gradOutput, reg, Reduction.SUM);
      }
    }
    return new InputAndWeightGrads(gi, gw);
  }

  private static void rcnnArgs(String op, Tensor input, Tensor target, Tensor weight, float lambda,
      Reduction reduction) {
    LossArgs.reduction(op, reduction);
    Checks.dtype(op, "input", input, DType.FLOAT32);
    Checks.dtype(op, "target", target, DType.FLOAT32);
    Checks.dtype(op, "weight", weight, DType.FLOAT32);
    Checks.sameDevice(op, "target", target, "input", input);
    Checks.sameDevice(op, "weight", weight, "input", input);
    if (input.dim() != 2) {
      throw new IllegalArgumentException(op + ": argument 'input': expected shape [N, K] but got "
          + Shapes.format(input.shape()));
    }
    Checks.sameShape(op, "target", target, "input", input);
    Checks.atMostInt(op, "input.size(1)", input.size(1));
    LossArgs.finite(op, "lambda", lambda);
    if (lambda < 0) {
      throw new IllegalArgumentException(op + ": argument 'lambda': expected a value >= 0 but got " + lambda);
    }
  }

  // ---- pointwise plumbing ------------------------------------------------------------------------------

  /** Checks and packs a pointwise loss of input against a same-shape float32 target. */
  static Pointwise pw(String op, int kind, Tensor input, Tensor target, Tensor weight, Tensor posWeight, float a,
      float b) {
    String in = kind == Pointwise.SIGMOID_FOCAL ? "inputs" : "input";
    String tn = kind == Pointwise.SIGMOID_FOCAL ? "targets" : "target";
    Checks.dtype(op, in, input, DType.FLOAT32);
    Checks.dtype(op, tn, target, DType.FLOAT32);
    Checks.sameDevice(op, tn, target, in, input);
    Checks.sameShape(op, tn, target, in, input);
    Broadcast w = LossArgs.broadcast(op, "weight", weight, in, input);
    Broadcast pw = LossArgs.broadcast(op, "pos_weight", posWeight, in, input);
    return new Pointwise(kind, input, target, w, pw, a, b, input.numel());
  }

  static Tensor pointwise(String op, Pointwise p, Reduction reduction) {
    LossArgs.reduction(op, reduction);
    Device d = p.x().device();
    if (p.n() == 0) {
      return LossArgs.emptyLoss(d, reduction, p.x().shape());
    }
    Tensor out = reduction == Reduction.NONE ? Tensor.empty(d, DType.FLOAT32, p.x().shape())
        : Tensor.empty(d, DType.FLOAT32);
    long bad = p.x().backend().loss().pointwiseLoss(p, reduction.code(), out);
    if (bad >= 0) {
      out.close();
      throw outsideUnit(op, p.x(), bad);
    }
    return out;
  }

  static Tensor pointwiseBackward(String op, Tensor gradOutput, Pointwise p, Reduction reduction) {
    LossArgs.reduction(op, reduction);
    LossArgs.gradOutput(op, gradOutput, reduction, p.x().shape(), p.x());
    Tensor grad = Tensor.empty(p.x().device(), DType.FLOAT32, p.x().shape());
    if (p.n() > 0) {
      p.x().backend().loss().pointwiseLossBackward(p, reduction.code(), gradOutput, grad);
    }
    return grad;
  }

  static LossAndGrad fused(String op, Pointwise p, Reduction reduction) {
    LossArgs.reduction(op, reduction);
    Device d = p.x().device();
    Tensor grad = Tensor.empty(d, DType.FLOAT32, p.x().shape());
    if (p.n() == 0) {
      return new LossAndGrad(LossArgs.emptyLoss(d, reduction, p.x().shape()), grad);
    }
    Tensor out = reduction == Reduction.NONE ? Tensor.empty(d, DType.FLOAT32, p.x().shape())
        : Tensor.empty(d, DType.FLOAT32);
    long bad = p.x().backend().loss().pointwiseLossFused(p, reduction.code(), out, grad);
    if (bad >= 0) {
      out.close();
      grad.close();
      throw outsideUnit(op, p.x(), bad);
    }
    return new LossAndGrad(out, grad);
  }

  private static IllegalArgumentException outsideUnit(String op, Tensor x, long index) {
    return new IllegalArgumentException(op + ": argument 'input': expected probabilities in [0, 1] but got "
        + LossArgs.floatAt(x, index) + " at flat index " + index + " (shape " + Shapes.format(x.shape()) + ")");
  }

}
