package io.detseg.ops;

import io.detseg.backend.LossKernels.Region;
import io.detseg.tensor.DType;
import io.detseg.tensor.Device;
import io.detseg.tensor.Shapes;
import io.detseg.tensor.Tensor;
import java.util.Arrays;
import java.util.Locale;

/**
 * Region losses for segmentation: Dice and Jaccard (soft IoU) with segmentation_models_pytorch's
 * semantics (DiceLoss / JaccardLoss: per-class scores over the batch and all pixels, classes without
 * target pixels contribute 0), and the compound loss beta * region + (1 - beta) * distribution.
 * docs/kernels/losses.md has the exact definitions.
 *
 * <p>Modes: BINARY (input [N, 1, d...], float target [N, 1, d...] or [N, d...]), MULTICLASS (input
 * [N, C, d...], int32 target [N, d...]) and MULTILABEL (input [N, C, d...], float target of the same
 * shape). fromLogits applies sigmoid (binary, multilabel) or softmax over dim 1 (multiclass). Reduction
 * NONE gives the per-class losses [C]; MEAN averages them (smp's aggregation), SUM adds them.
 */
public final class RegionLosses {
  private RegionLosses() {}

  /** segmentation_models_pytorch's three modes. */
  public enum Mode {
    BINARY(Region.BINARY),
    MULTICLASS(Region.MULTICLASS),
    MULTILABEL(Region.MULTILABEL);

    final int code;

    Mode(int code) {
      this.code = code;
    }

    public static Mode parse(String op, String text) {
      for (Mode m : values()) {
        if (m.name().equalsIgnoreCase(text == null ? "" : text.trim())) {
          return m;
        }
      }
      throw new IllegalArgumentException(op + ": argument 'mode': expected 'binary', 'multiclass' or 'multilabel' but got '"
          + text + "'");
    }
  }

  /** Options shared by Dice and Jaccard (smp's defaults: from logits, smooth 0, eps 1e-7, no log, no ignore). */
  public record Options(boolean fromLogits, float smooth, float eps, boolean logLoss, Integer ignoreIndex) {
    public static Options defaults() {
      return new Options(true, 0.0f, 1e-7f, false, null);
    }
  }

  /** Dice loss: per class 1 - (2 I + smooth) / max(P + T + smooth, eps) (or -log of the clamped score). */
  public static Tensor diceLoss(Tensor input, Tensor target, Mode mode, Options options, Reduction reduction) {
    return forward("dice_loss", Region.DICE, input, target, mode, options, reduction);
  }

  public static Tensor diceLossBackward(Tensor gradOutput, Tensor input, Tensor target, Mode mode, Options options,
      Reduction reduction) {
    return backward("dice_loss_backward", Region.DICE, gradOutput, input, target, mode, options, reduction);
  }

  /** Jaccard (soft IoU) loss: per class 1 - (I + smooth) / max(P + T - I + smooth, eps). */
  public static Tensor jaccardLoss(Tensor input, Tensor target, Mode mode, Options options, Reduction reduction) {
    return forward("jaccard_loss", Region.JACCARD, input, target, mode, options, reduction);
  }

  public static Tensor jaccardLossBackward(Tensor gradOutput, Tensor input, Tensor target, Mode mode, Options options,
      Reduction reduction) {
    return backward("jaccard_loss_backward", Region.JACCARD, gradOutput, input, target, mode, options, reduction);
  }

  /**
   * Compound loss beta * region + (1 - beta) * distribution on logits: region is dice or jaccard (with
   * these options), distribution is cross_entropy (multiclass; ignore_index shared, -100 when none) or
   * binary_cross_entropy_with_logits (binary, multilabel). Each term uses the given reduction (MEAN or
   * SUM; NONE is rejected: the terms have different shapes).
   */
  public static Tensor compoundLoss(Tensor input, Tensor target, Mode mode, boolean jaccard, float beta,
      Options options, Reduction reduction) {
    String op = "compound_loss";
    compoundArgs(op, mode, beta, options, reduction);
    try (Tensor region = jaccard ? jaccardLoss(input, target, mode, options, reduction)
        : diceLoss(input, target, mode, options, reduction);
        Tensor dist = distribution(input, target, mode, options, reduction);
        Tensor b = Tensor.scalar(input.device(), beta);
        Tensor ob = Tensor.scalar(input.device(), 1.0f - beta);
        Tensor r = Ops.mul(region, b);
        Tensor dd = Ops.mul(dist, ob)) {
      return Ops.add(r, dd);
    }
  }

  public static Tensor compoundLossBackward(Tensor gradOutput, Tensor input, Tensor target, Mode mode, boolean jaccard,
      float beta, Options options, Reduction reduction) {
    String op = "compound_loss_backward";
    compoundArgs(op, mode, beta, options, reduction);
    LossArgs.gradOutput(op, gradOutput, reduction, new long[0], input);
    try (Tensor b = Tensor.scalar(input.device(), beta);
        Tensor ob = Tensor.scalar(input.device(), 1.0f - beta);
        Tensor g0 = gradOutput.reshape();
        Tensor gr = Ops.mul(g0, b);
        Tensor gd = Ops.mul(g0, ob);
        Tensor region = jaccard ? jaccardLossBackward(gr, input, target, mode, options, reduction)
            : diceLossBackward(gr, input, target, mode, options, reduction);
        Tensor dist = distributionBackward(gd, input, target, mode, options, reduction)) {
      return Ops.add(region, dist);
    }
  }

  private static void compoundArgs(String op, Mode mode, float beta, Options options, Reduction reduction) {
    LossArgs.reduction(op, reduction);
    if (reduction == Reduction.NONE) {
      throw new IllegalArgumentException(op + ": argument 'reduction': expected 'mean' or 'sum' but got 'none' (the"
          + " region term is per class, the distribution term per element)");
    }
    LossArgs.range(op, "beta", beta, 0.0f, 1.0f);
    if (options == null || !options.fromLogits()) {
      throw new IllegalArgumentException(op + ": argument 'from_logits': expected true (the distribution term takes"
          + " logits) but got false");
    }
    if (mode != Mode.MULTICLASS && options.ignoreIndex() != null) {
      throw new IllegalArgumentException(op + ": argument 'ignore_index': expected none in mode "
          + mode.name().toLowerCase(Locale.ROOT) + " (binary_cross_entropy_with_logits has no ignore_index) but got "
          + options.ignoreIndex());
    }
  }

  private static Tensor distribution(Tensor input, Tensor target, Mode mode, Options o, Reduction reduction) {
    if (mode == Mode.MULTICLASS) {
      int ii = o.ignoreIndex() == null ? Losses.DEFAULT_IGNORE_INDEX : o.ignoreIndex();
      return Losses.crossEntropy(input, target, null, ii, reduction, 0.0f);
    }
    try (Tensor t = target.reshape(input.shape())) {
      return Losses.binaryCrossEntropyWithLogits(input, t, null, null, reduction);
    }
  }

  private static Tensor distributionBackward(Tensor g, Tensor input, Tensor target, Mode mode, Options o,
      Reduction reduction) {
    if (mode == Mode.MULTICLASS) {
      int ii = o.ignoreIndex() == null ? Losses.DEFAULT_IGNORE_INDEX : o.ignoreIndex();
      return Losses.crossEntropyBackward(g, input, target, null, ii, reduction, 0.0f);
    }
    try (Tensor t = target.reshape(input.shape())) {
      return Losses.binaryCrossEntropyWithLogitsBackward(g, input, t, null, null, reduction);
    }
  }

  // ---- plumbing ----------------------------------------------------------------------------------------

  private record Shape(long n, long c, long s) {}

  private static Shape check(String op, Tensor input, Tensor target, Mode mode, Options o) {
    if (mode == null) {
      throw new IllegalArgumentException(op + ": argument 'mode': expected 'binary', 'multiclass' or 'multilabel' but"
          + " got null");
    }
    if (o == null) {
      throw new IllegalArgumentException(op + ": argument 'options': expected options but got null");
    }
    Checks.dtype(op, "input", input, DType.FLOAT32);
    Checks.open(op, "target", target);
    Checks.sameDevice(op, "target", target, "input", input);
    LossArgs.finite(op, "smooth", o.smooth());
    LossArgs.finite(op, "eps", o.eps());
    if (o.smooth() < 0 || o.eps() < 0) {
      throw new IllegalArgumentException(op + ": arguments 'smooth' and 'eps': expected values >= 0 but got "
          + o.smooth() + " and " + o.eps());
    }
    long[] xs = input.shape();
    if (xs.length < 2) {
      throw new IllegalArgumentException(op + ": argument 'input': expected shape [N, C, d...] but got "
          + Shapes.format(xs));
    }
    long n = xs[0];
    long c = xs[1];
    long s = 1;
    for (int i = 2; i < xs.length; i++) {
      s *= xs[i];
    }
    switch (mode) {
      case BINARY: {
        if (c != 1) {
          throw new IllegalArgumentException(op + ": argument 'input': expected shape [N, 1, d...] in mode binary but"
              + " got " + Shapes.format(xs));
        }
        Checks.dtype(op, "target", target, DType.FLOAT32);
        if (target.dim() < 1 || target.size(0) != n || target.numel() != input.numel()) {
          throw new IllegalArgumentException(op + ": argument 'target': expected shape [" + n + ", 1, d...] or [" + n
              + ", d...] with " + input.numel() + " elements (as 'input' " + Shapes.format(xs) + ") but got "
              + Shapes.format(target.shape()));
        }
        break;
      }
      case MULTILABEL:
        Checks.dtype(op, "target", target, DType.FLOAT32);
        Checks.sameShape(op, "target", target, "input", input);
        break;
      default: {
        Checks.dtype(op, "target", target, DType.INT32);
        long[] expected = new long[xs.length - 1];
        expected[0] = n;
        System.arraycopy(xs, 2, expected, 1, xs.length - 2);
        if (!Arrays.equals(target.shape(), expected)) {
          throw new IllegalArgumentException(op + ": argument 'target': expected shape " + Shapes.format(expected)
              + " (the shape of 'input' " + Shapes.format(xs) + " without the class dimension) but got "
              + Shapes.format(target.shape()));
        }
      }
    }
    if (c < 1 || c > 65535) {
      throw new IllegalArgumentException(op + ": argument 'input': expected 1 to 65535 classes but got " + c);
    }
    return new Shape(n, c, s);
  }

  private static Region spec(int kind, Mode mode, Options o) {
    return new Region(mode.code, kind, o.fromLogits(), o.ignoreIndex() != null,
        o.ignoreIndex() == null ? 0 : o.ignoreIndex(), o.smooth(), o.eps(), o.logLoss());
  }

  private static Tensor forward(String op, int kind, Tensor input, Tensor target, Mode mode, Options o,
      Reduction reduction) {
    LossArgs.reduction(op, reduction);
    Shape sh = check(op, input, target, mode, o);
    Device d = input.device();
    Tensor out = reduction == Reduction.NONE ? Tensor.empty(d, DType.FLOAT32, sh.c()) : Tensor.empty(d, DType.FLOAT32);
    if (sh.n() * sh.s() == 0) {
      // No pixels: every class is absent, so every per-class loss is 0 (smp's mask).
      out.close();
      return reduction == Reduction.NONE ? Tensor.zeros(d, DType.FLOAT32, sh.c()) : Tensor.scalar(d, 0.0f);
    }
    boolean multiclass = mode == Mode.MULTICLASS;
    long bad = input.backend().loss().regionLoss(spec(kind, mode, o), input, multiclass ? null : target,
        multiclass ? target : null, sh.n(), sh.c(), sh.s(), reduction.code(), out);
    if (bad >= 0) {
      LossArgs.badTarget(op, "target", target, bad, sh.c(),
          o.ignoreIndex() == null ? Losses.NO_IGNORE_INDEX : o.ignoreIndex(), out);
    }
    return out;
  }

  private static Tensor backward(String op, int kind, Tensor gradOutput, Tensor input, Tensor target, Mode mode,
      Options o, Reduction reduction) {
    LossArgs.reduction(op, reduction);
    Shape sh = check(op, input, target, mode, o);
    LossArgs.gradOutput(op, gradOutput, reduction, new long[] {sh.c()}, input);
    Tensor grad = Tensor.empty(input.device(), DType.FLOAT32, input.shape());
    if (sh.n() * sh.s() == 0) {
      return grad;
    }
    boolean multiclass = mode == Mode.MULTICLASS;
    long bad = input.backend().loss().regionLossBackward(spec(kind, mode, o), input, multiclass ? null : target,
        multiclass ? target : null, sh.n(), sh.c(), sh.s(), reduction.code(), gradOutput, grad);
    if (bad >= 0) {
      LossArgs.badTarget(op, "target", target, bad, sh.c(),
          o.ignoreIndex() == null ? Losses.NO_IGNORE_INDEX : o.ignoreIndex(), grad);
    }
    return grad;
  }
}
