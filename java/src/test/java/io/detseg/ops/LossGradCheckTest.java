package io.detseg.ops;

import static io.detseg.ops.LossTesting.binary;
import static io.detseg.ops.LossTesting.classes;
import static io.detseg.ops.LossTesting.gaussian;
import static io.detseg.ops.LossTesting.uniform;

import io.detseg.Devices;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Finite-difference checks of every loss backward (GradCheck: central differences of Σ w·loss for a
 * random w), for each reduction, on every backend. Inputs stay away from kinks (|x - t| vs beta, 0 for
 * L1) by more than the step.
 */
class LossGradCheckTest {
  static final float H = 1e-2f;
  static final float TOL = 3e-3f;

  static Stream<Device> devices() {
    return Devices.all();
  }

  /** Runs the check for each reduction; fwd/bwd get the device tensors of the fixed arguments. */
  private static void check(String op, Device d, float[] x, long[] shape, BiFunction<Tensor, Reduction, Tensor> fwd,
      Bwd bwd) {
    for (Reduction r : Reduction.values()) {
      Function<Tensor, Tensor> f = t -> fwd.apply(t, r);
      BiFunction<Tensor, Tensor, Tensor> b = (g, t) -> bwd.apply(g, t, r);
      GradCheck.check(op + " " + r.label(), d, x.clone(), shape, f, b, H, TOL);
    }
  }

  interface Bwd {
    Tensor apply(Tensor gradOutput, Tensor input, Reduction r);
  }

  @ParameterizedTest
  @MethodSource("devices")
  void crossEntropy(Device d) {
    Devices.assumeUsable(d);
    Random rnd = new Random(11);
    try (Scope s = Scope.open()) {
      // rows [N, C] with weights, smoothing and an ignored row
      int[] t = {2, 0, -100, 4, 1};
      Tensor target = Tensor.of(d, t, 5);
      Tensor w = Tensor.of(d, uniform(rnd, 5, 0.5, 2), 5);
      check("cross_entropy rows", d, gaussian(rnd, 25, 2), new long[] {5, 5},
          (x, r) -> Losses.crossEntropy(x, target, w, -100, r, 0.15f),
          (g, x, r) -> Losses.crossEntropyBackward(g, x, target, w, -100, r, 0.15f));
      // spatial [N, C, H, W] with ignore_index 255
      int[] ts = classes(rnd, 2 * 3 * 2, 4);
      ts[3] = 255;
      Tensor ts4 = Tensor.of(d, ts, 2, 3, 2);
      check("cross_entropy spatial", d, gaussian(rnd, 2 * 4 * 3 * 2, 2), new long[] {2, 4, 3, 2},
          (x, r) -> Losses.crossEntropy(x, ts4, null, 255, r, 0.0f),
          (g, x, r) -> Losses.crossEntropyBackward(g, x, ts4, null, 255, r, 0.0f));
      Tensor w4 = Tensor.of(d, uniform(rnd, 4, 0.5, 2), 4);
      check("cross_entropy spatial weighted smoothing", d, gaussian(rnd, 2 * 4 * 3 * 2, 2), new long[] {2, 4, 3, 2},
          (x, r) -> Losses.crossEntropy(x, ts4, w4, 255, r, 0.3f),
          (g, x, r) -> Losses.crossEntropyBackward(g, x, ts4, w4, 255, r, 0.3f));
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void nllAndSoftmaxFocal(Device d) {
    Devices.assumeUsable(d);
    Random rnd = new Random(12);
    try (Scope s = Scope.open()) {
      int[] t = classes(rnd, 6, 3);
      t[2] = -100;
      Tensor target = Tensor.of(d, t, 2, 3);
      Tensor w = Tensor.of(d, uniform(rnd, 3, 0.5, 2), 3);
      check("nll_loss", d, gaussian(rnd, 18, 1), new long[] {2, 3, 3},
          (x, r) -> Losses.nllLoss(x, target, w, -100, r), (g, x, r) -> Losses.nllLossBackward(g, x, target, w, -100, r));
      for (float gamma : new float[] {2f, 1.5f, 0f}) {
        check("softmax_focal_loss spatial gamma " + gamma, d, gaussian(rnd, 18, 1.5), new long[] {2, 3, 3},
            (x, r) -> Losses.softmaxFocalLoss(x, target, w, 0.7f, gamma, -100, r),
            (g, x, r) -> Losses.softmaxFocalLossBackward(g, x, target, w, 0.7f, gamma, -100, r));
      }
      Tensor rows = Tensor.of(d, new int[] {0, 3, 1, 2}, 4);
      check("softmax_focal_loss rows", d, gaussian(rnd, 16, 1.5), new long[] {4, 4},
          (x, r) -> Losses.softmaxFocalLoss(x, rows, null, 1f, 2f, -100, r),
          (g, x, r) -> Losses.softmaxFocalLossBackward(g, x, rows, null, 1f, 2f, -100, r));
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void binaryLosses(Device d) {
    Devices.assumeUsable(d);
    Random rnd = new Random(13);
    try (Scope s = Scope.open()) {
      long[] shape = {3, 4};
      float[] tv = binary(rnd, 12, 0.4);
      tv[5] = 0.3f;
      Tensor t = Tensor.of(d, tv, shape);
      Tensor w = Tensor.of(d, uniform(rnd, 4, 0.5, 2), 4);
      Tensor pw = Tensor.of(d, uniform(rnd, 4, 0.5, 3), 4);
      check("binary_cross_entropy", d, uniform(rnd, 12, 0.1, 0.9), shape,
          (x, r) -> Losses.binaryCrossEntropy(x, t, w, r), (g, x, r) -> Losses.binaryCrossEntropyBackward(g, x, t, w, r));
      check("binary_cross_entropy_with_logits", d, gaussian(rnd, 12, 2), shape,
          (x, r) -> Losses.binaryCrossEntropyWithLogits(x, t, w, pw, r),
          (g, x, r) -> Losses.binaryCrossEntropyWithLogitsBackward(g, x, t, w, pw, r));
      check("weighted_cross_entropy", d, gaussian(rnd, 12, 2), shape,
          (x, r) -> Losses.weightedCrossEntropy(x, t, 2.5f, r),
          (g, x, r) -> Losses.weightedCrossEntropyBackward(g, x, t, 2.5f, r));
      check("balanced_cross_entropy", d, gaussian(rnd, 12, 2), shape,
          (x, r) -> Losses.balancedCrossEntropy(x, t, 0.8f, r),
          (g, x, r) -> Losses.balancedCrossEntropyBackward(g, x, t, 0.8f, r));
      for (float[] ag : new float[][] {{0.25f, 2f}, {-1f, 0f}, {0.6f, 1.5f}, {0.5f, 3f}}) {
        check("sigmoid_focal_loss alpha " + ag[0] + " gamma " + ag[1], d, gaussian(rnd, 12, 2), shape,
            (x, r) -> Losses.sigmoidFocalLoss(x, t, ag[0], ag[1], r),
            (g, x, r) -> Losses.sigmoidFocalLossBackward(g, x, t, ag[0], ag[1], r));
      }
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void regionLosses(Device d) {
    Devices.assumeUsable(d);
    Random rnd = new Random(15);
    try (Scope s = Scope.open()) {
      int[] tv = classes(rnd, 2 * 6, 3);
      tv[4] = 9;  // ignored
      Tensor tmc = Tensor.of(d, tv, 2, 6);
      Tensor tb = Tensor.of(d, binary(rnd, 2 * 6, 0.5), 2, 1, 6);
      float[] mlv = binary(rnd, 2 * 3 * 4, 0.5);
      mlv[3] = -1;  // ignored
      Tensor tml = Tensor.of(d, mlv, 2, 3, 4);
      for (boolean jaccard : new boolean[] {false, true}) {
        for (boolean log : new boolean[] {false, true}) {
          RegionLosses.Options o = new RegionLosses.Options(true, 0.5f, 1e-7f, log, 9);
          RegionLosses.Options ob = new RegionLosses.Options(true, 0.5f, 1e-7f, log, null);
          RegionLosses.Options om = new RegionLosses.Options(true, 0f, 1e-7f, log, -1);
          String k = (jaccard ? "jaccard" : "dice") + (log ? " log" : "");
          check(k + " multiclass", d, gaussian(rnd, 2 * 3 * 6, 1.5), new long[] {2, 3, 6},
              (x, r) -> region(jaccard, x, tmc, RegionLosses.Mode.MULTICLASS, o, r),
              (g, x, r) -> regionBackward(jaccard, g, x, tmc, RegionLosses.Mode.MULTICLASS, o, r));
          check(k + " binary", d, gaussian(rnd, 12, 1.5), new long[] {2, 1, 6},
              (x, r) -> region(jaccard, x, tb, RegionLosses.Mode.BINARY, ob, r),
              (g, x, r) -> regionBackward(jaccard, g, x, tb, RegionLosses.Mode.BINARY, ob, r));
          check(k + " multilabel", d, gaussian(rnd, 24, 1.5), new long[] {2, 3, 4},
              (x, r) -> region(jaccard, x, tml, RegionLosses.Mode.MULTILABEL, om, r),
              (g, x, r) -> regionBackward(jaccard, g, x, tml, RegionLosses.Mode.MULTILABEL, om, r));
        }
      }
      RegionLosses.Options probs = new RegionLosses.Options(false, 1f, 1e-7f, false, null);
      check("dice binary probabilities", d, uniform(rnd, 12, 0.1, 0.9), new long[] {2, 1, 6},
          (x, r) -> region(false, x, tb, RegionLosses.Mode.BINARY, probs, r),
          (g, x, r) -> regionBackward(false, g, x, tb, RegionLosses.Mode.BINARY, probs, r));
      RegionLosses.Options def = RegionLosses.Options.defaults();
      for (Reduction r : new Reduction[] {Reduction.MEAN, Reduction.SUM}) {
        int[] tv2 = classes(rnd, 12, 3);
        Tensor t2 = Tensor.of(d, tv2, 2, 6);
        GradCheck.check("compound " + r.label(), d, gaussian(rnd, 36, 1.5), new long[] {2, 3, 6},
            x -> RegionLosses.compoundLoss(x, t2, RegionLosses.Mode.MULTICLASS, false, 0.6f, def, r),
            (g, x) -> RegionLosses.compoundLossBackward(g, x, t2, RegionLosses.Mode.MULTICLASS, false, 0.6f, def, r),
            H, TOL);
      }
    }
  }

  private static Tensor region(boolean jaccard, Tensor x, Tensor t, RegionLosses.Mode m, RegionLosses.Options o,
      Reduction r) {
    return jaccard ? RegionLosses.jaccardLoss(x, t, m, o, r) : RegionLosses.diceLoss(x, t, m, o, r);
  }

  private static Tensor regionBackward(boolean jaccard, Tensor g, Tensor x, Tensor t, RegionLosses.Mode m,
      RegionLosses.Options o, Reduction r) {
    return jaccard ? RegionLosses.jaccardLossBackward(g, x, t, m, o, r) : RegionLosses.diceLossBackward(g, x, t, m, o, r);
  }

  @ParameterizedTest
  @MethodSource("devices")
  void regressionLosses(Device d) {
    Devices.assumeUsable(d);
    Random rnd = new Random(14);
    try (Scope s = Scope.open()) {
      long[] shape = {5, 4};
      float[] tv = gaussian(rnd, 20, 2);
      Tensor t = Tensor.of(d, tv, shape);
      float[] x = new float[20];
      for (int i = 0; i < 20; i++) {
        // |x - t| in {0.3, 0.7, 1.6, 2.4} (signs alternate): clear of beta = 0.5, 1 and of 0
        float off = new float[] {0.3f, 0.7f, 1.6f, 2.4f}[i % 4];
        x[i] = tv[i] + (i % 2 == 0 ? off : -off);
      }
      for (float beta : new float[] {1f, 0.5f, 0f}) {
        check("smooth_l1_loss beta " + beta, d, x, shape, (xx, r) -> Losses.smoothL1Loss(xx, t, r, beta),
            (g, xx, r) -> Losses.smoothL1LossBackward(g, xx, t, r, beta));
      }
      check("l1_loss", d, x, shape, (xx, r) -> Losses.l1Loss(xx, t, r), (g, xx, r) -> Losses.l1LossBackward(g, xx, t, r));
      check("mse_loss", d, x, shape, (xx, r) -> Losses.mseLoss(xx, t, r),
          (g, xx, r) -> Losses.mseLossBackward(g, xx, t, r));
      Tensor px = Tensor.of(d, x, shape);
      float[] wv = gaussian(rnd, 6, 0.5);
      Tensor w = Tensor.of(d, wv, 2, 3);
      check("rcnn_box_regression_loss d/dinput", d, x, shape,
          (xx, r) -> Losses.rcnnBoxRegressionLoss(xx, t, w, 3f, r),
          (g, xx, r) -> Losses.rcnnBoxRegressionLossBackward(g, xx, t, w, 3f, r).gradInput());
      check("rcnn_box_regression_loss d/dweight", d, wv, new long[] {2, 3},
          (ww, r) -> Losses.rcnnBoxRegressionLoss(px, t, ww, 3f, r),
          (g, ww, r) -> Losses.rcnnBoxRegressionLossBackward(g, px, t, ww, 3f, r).gradWeight());
    }
  }
}
