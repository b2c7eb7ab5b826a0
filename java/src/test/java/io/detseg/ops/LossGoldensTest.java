package io.detseg.ops;

import static io.detseg.ops.LossTesting.assertClose;
import static io.detseg.ops.LossTesting.golden;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.detseg.Devices;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every loss against PyTorch 1.13 / torchvision 0.14 (tools/goldens/losses.py): forward for each
 * reduction, and the input gradient for a random upstream gradient (none) or 0.75 (mean, sum), on
 * every backend. The parameters of each case are written here and in the generator.
 */
class LossGoldensTest {
  /** Inputs of a case on the device, by golden name (input, target, weight, pos_weight). */
  record In(Tensor input, Tensor target, Tensor weight, Tensor posWeight) {}

  interface Fwd {
    Tensor apply(In in, Reduction r);
  }

  interface Bwd {
    Tensor apply(Tensor gradOutput, In in, Reduction r);
  }

  record Case(String name, Fwd fwd, Bwd bwd, double rtol, double atol, Reduction... reductions) {
    Case(String name, Fwd fwd, Bwd bwd, double rtol, double atol) {
      this(name, fwd, bwd, rtol, atol, Reduction.values());
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static List<Case> cases() {
    List<Case> c = new ArrayList<>();
    int ii = Losses.DEFAULT_IGNORE_INDEX;
    c.add(new Case("ce_nc", (in, r) -> Losses.crossEntropy(in.input(), in.target(), null, ii, r, 0f),
        (g, in, r) -> Losses.crossEntropyBackward(g, in.input(), in.target(), null, ii, r, 0f), 2e-6, 2e-6));
    c.add(new Case("ce_nc_weight_smooth",
        (in, r) -> Losses.crossEntropy(in.input(), in.target(), in.weight(), ii, r, 0.2f),
        (g, in, r) -> Losses.crossEntropyBackward(g, in.input(), in.target(), in.weight(), ii, r, 0.2f), 2e-6, 2e-6));
    c.add(new Case("ce_nchw_weight_ii_smooth",
        (in, r) -> Losses.crossEntropy(in.input(), in.target(), in.weight(), 255, r, 0.1f),
        (g, in, r) -> Losses.crossEntropyBackward(g, in.input(), in.target(), in.weight(), 255, r, 0.1f), 1e-5,
        1e-5));
    c.add(new Case("ce_nchw_smooth", (in, r) -> Losses.crossEntropy(in.input(), in.target(), null, 255, r, 0.3f),
        (g, in, r) -> Losses.crossEntropyBackward(g, in.input(), in.target(), null, 255, r, 0.3f), 1e-5, 1e-5));
    c.add(new Case("ce_ncl", (in, r) -> Losses.crossEntropy(in.input(), in.target(), null, ii, r, 0f),
        (g, in, r) -> Losses.crossEntropyBackward(g, in.input(), in.target(), null, ii, r, 0f), 2e-6, 2e-6));
    c.add(new Case("ce_wide", (in, r) -> Losses.crossEntropy(in.input(), in.target(), in.weight(), ii, r, 0.05f),
        (g, in, r) -> Losses.crossEntropyBackward(g, in.input(), in.target(), in.weight(), ii, r, 0.05f), 1e-5,
        1e-6));
    c.add(new Case("ce_unbatched", (in, r) -> Losses.crossEntropy(in.input(), in.target(), null, ii, r, 0f),
        (g, in, r) -> Losses.crossEntropyBackward(g, in.input(), in.target(), null, ii, r, 0f), 2e-6, 2e-6));
    // many classes: shorter CPU tiles, the backward's kept exp(x - max) on the stack or on the heap
    c.add(new Case("ce_nchw_150_classes",
        (in, r) -> Losses.crossEntropy(in.input(), in.target(), in.weight(), 255, r, 0.1f),
        (g, in, r) -> Losses.crossEntropyBackward(g, in.input(), in.target(), in.weight(), 255, r, 0.1f), 1e-5,
        1e-6));
    c.add(new Case("ce_rows_8300_classes", (in, r) -> Losses.crossEntropy(in.input(), in.target(), null, ii, r, 0f),
        (g, in, r) -> Losses.crossEntropyBackward(g, in.input(), in.target(), null, ii, r, 0f), 1e-5, 1e-7));
    c.add(new Case("nll_nchw_weight", (in, r) -> Losses.nllLoss(in.input(), in.target(), in.weight(), -1, r),
        (g, in, r) -> Losses.nllLossBackward(g, in.input(), in.target(), in.weight(), -1, r), 1e-6, 1e-6));
    c.add(new Case("nll_nc", (in, r) -> Losses.nllLoss(in.input(), in.target(), null, ii, r),
        (g, in, r) -> Losses.nllLossBackward(g, in.input(), in.target(), null, ii, r), 1e-6, 1e-6));
    c.add(new Case("softmax_focal_nchw",
        (in, r) -> Losses.softmaxFocalLoss(in.input(), in.target(), in.weight(), 0.5f, 2f, ii, r),
        (g, in, r) -> Losses.softmaxFocalLossBackward(g, in.input(), in.target(), in.weight(), 0.5f, 2f, ii, r), 2e-5,
        2e-6));
    c.add(new Case("softmax_focal_nc_g15",
        (in, r) -> Losses.softmaxFocalLoss(in.input(), in.target(), null, 1f, 1.5f, ii, r),
        (g, in, r) -> Losses.softmaxFocalLossBackward(g, in.input(), in.target(), null, 1f, 1.5f, ii, r), 2e-5,
        2e-6));
    c.add(new Case("softmax_focal_nchw_520_classes",
        (in, r) -> Losses.softmaxFocalLoss(in.input(), in.target(), null, 0.25f, 2f, ii, r),
        (g, in, r) -> Losses.softmaxFocalLossBackward(g, in.input(), in.target(), null, 0.25f, 2f, ii, r), 2e-5,
        2e-6));
    c.add(new Case("bce_weight", (in, r) -> Losses.binaryCrossEntropy(in.input(), in.target(), in.weight(), r),
        (g, in, r) -> Losses.binaryCrossEntropyBackward(g, in.input(), in.target(), in.weight(), r), 1e-5, 1e-5));
    c.add(new Case("bce_logits_weight_pos",
        (in, r) -> Losses.binaryCrossEntropyWithLogits(in.input(), in.target(), in.weight(), in.posWeight(), r),
        (g, in, r) -> Losses.binaryCrossEntropyWithLogitsBackward(g, in.input(), in.target(), in.weight(),
            in.posWeight(), r), 2e-6, 2e-6));
    c.add(new Case("bce_logits_pos_chw",
        (in, r) -> Losses.binaryCrossEntropyWithLogits(in.input(), in.target(), null, in.posWeight(), r),
        (g, in, r) -> Losses.binaryCrossEntropyWithLogitsBackward(g, in.input(), in.target(), null, in.posWeight(),
            r), 2e-6, 2e-6));
    c.add(new Case("weighted_ce_beta3", (in, r) -> Losses.weightedCrossEntropy(in.input(), in.target(), 3f, r),
        (g, in, r) -> Losses.weightedCrossEntropyBackward(g, in.input(), in.target(), 3f, r), 2e-6, 2e-6));
    c.add(new Case("balanced_ce_beta07", (in, r) -> Losses.balancedCrossEntropy(in.input(), in.target(), 0.7f, r),
        (g, in, r) -> Losses.balancedCrossEntropyBackward(g, in.input(), in.target(), 0.7f, r), 2e-6, 2e-6));
    c.add(new Case("balanced_ce_auto",
        (in, r) -> Losses.balancedCrossEntropy(in.input(), in.target(), Float.NaN, r),
        (g, in, r) -> Losses.balancedCrossEntropyBackward(g, in.input(), in.target(), Float.NaN, r), 2e-6, 2e-6));
    c.add(new Case("focal_a025_g2", (in, r) -> Losses.sigmoidFocalLoss(in.input(), in.target(), 0.25f, 2f, r),
        (g, in, r) -> Losses.sigmoidFocalLossBackward(g, in.input(), in.target(), 0.25f, 2f, r), 2e-5, 2e-6));
    c.add(new Case("focal_noalpha_g0", (in, r) -> Losses.sigmoidFocalLoss(in.input(), in.target(), -1f, 0f, r),
        (g, in, r) -> Losses.sigmoidFocalLossBackward(g, in.input(), in.target(), -1f, 0f, r), 2e-5, 2e-6));
    c.add(new Case("focal_a06_g15", (in, r) -> Losses.sigmoidFocalLoss(in.input(), in.target(), 0.6f, 1.5f, r),
        (g, in, r) -> Losses.sigmoidFocalLossBackward(g, in.input(), in.target(), 0.6f, 1.5f, r), 2e-5, 2e-6));
    for (String[] sb : new String[][] {{"smooth_l1_b1", "1"}, {"smooth_l1_b05", "0.5"}, {"smooth_l1_b0", "0"}}) {
      float beta = Float.parseFloat(sb[1]);
      c.add(new Case(sb[0], (in, r) -> Losses.smoothL1Loss(in.input(), in.target(), r, beta),
          (g, in, r) -> Losses.smoothL1LossBackward(g, in.input(), in.target(), r, beta), 1e-6, 1e-6));
    }
    c.add(new Case("smooth_l1_b1_9", (in, r) -> Losses.smoothL1Loss(in.input(), in.target(), r, 1f / 9),
        (g, in, r) -> Losses.smoothL1LossBackward(g, in.input(), in.target(), r, 1f / 9), 1e-6, 1e-6));
    c.add(new Case("l1", (in, r) -> Losses.l1Loss(in.input(), in.target(), r),
        (g, in, r) -> Losses.l1LossBackward(g, in.input(), in.target(), r), 1e-6, 1e-6));
    c.add(new Case("mse", (in, r) -> Losses.mseLoss(in.input(), in.target(), r),
        (g, in, r) -> Losses.mseLossBackward(g, in.input(), in.target(), r), 1e-6, 1e-6));
    regionCases(c);
    c.add(new Case("rcnn_l2_lambda10", (in, r) -> Losses.rcnnBoxRegressionLoss(in.input(), in.target(), in.weight(),
        10f, r), (g, in, r) -> Losses.rcnnBoxRegressionLossBackward(g, in.input(), in.target(), in.weight(), 10f, r)
            .gradInput(), 1e-6, 1e-6));
    return c;
  }

  @ParameterizedTest
  @MethodSource("io.detseg.Devices#all")
  void rcnnWeightGradientMatchesPyTorch(Device d) {
    Devices.assumeUsable(d);
    String name = "rcnn_l2_lambda10";
    try (Scope s = Scope.open()) {
      for (Reduction r : Reduction.values()) {
        Tensor gw = Losses.rcnnBoxRegressionLossBackward(golden(d, name, "go_" + r.label()), golden(d, name, "input"),
            golden(d, name, "target"), golden(d, name, "weight"), 10f, r).gradWeight();
        assertClose(golden(d, name, "gradw_" + r.label()), gw, 1e-6, 1e-6, name + " weight grad " + r.label());
      }
    }
  }

  private static void regionCases(List<Case> c) {
    RegionLosses.Options def = RegionLosses.Options.defaults();
    RegionLosses.Mode mc = RegionLosses.Mode.MULTICLASS;
    RegionLosses.Mode bin = RegionLosses.Mode.BINARY;
    RegionLosses.Mode ml = RegionLosses.Mode.MULTILABEL;
    c.add(region("dice_multiclass", false, mc, def));
    c.add(region("jaccard_multiclass", true, mc, def));
    c.add(region("dice_multiclass_ii_smooth_log", false, mc, new RegionLosses.Options(true, 1f, 1e-7f, true, 255)));
    c.add(region("jaccard_multiclass_520_classes", true, mc, def));
    c.add(region("dice_binary", false, bin, def));
    c.add(region("jaccard_binary_smooth", true, bin, new RegionLosses.Options(true, 0.5f, 1e-7f, false, null)));
    c.add(region("dice_binary_probs", false, bin, new RegionLosses.Options(false, 0f, 1e-7f, false, null)));
    c.add(region("dice_multilabel_ii", false, ml, new RegionLosses.Options(true, 0f, 1e-7f, false, -1)));
    c.add(region("jaccard_multilabel_log", true, ml, new RegionLosses.Options(true, 0f, 1e-7f, true, -1)));
    c.add(new Case("compound_dice_ce",
        (in, r) -> RegionLosses.compoundLoss(in.input(), in.target(), mc, false, 0.7f, def, r),
        (g, in, r) -> RegionLosses.compoundLossBackward(g, in.input(), in.target(), mc, false, 0.7f, def, r), 1e-5,
        1e-6, Reduction.MEAN, Reduction.SUM));
    c.add(new Case("compound_jaccard_bce",
        (in, r) -> RegionLosses.compoundLoss(in.input(), in.target(), bin, true, 0.4f, def, r),
        (g, in, r) -> RegionLosses.compoundLossBackward(g, in.input(), in.target(), bin, true, 0.4f, def, r), 1e-5,
        1e-6, Reduction.MEAN, Reduction.SUM));
  }

  private static Case region(String name, boolean jaccard, RegionLosses.Mode mode, RegionLosses.Options o) {
    return new Case(name, (in, r) -> jaccard ? RegionLosses.jaccardLoss(in.input(), in.target(), mode, o, r)
        : RegionLosses.diceLoss(in.input(), in.target(), mode, o, r),
        (g, in, r) -> jaccard ? RegionLosses.jaccardLossBackward(g, in.input(), in.target(), mode, o, r)
            : RegionLosses.diceLossBackward(g, in.input(), in.target(), mode, o, r), 1e-5, 1e-6);
  }

  static Stream<Arguments> casesOnDevices() {
    return Devices.all().flatMap(d -> cases().stream().map(c -> Arguments.of(d, c)));
  }

  @ParameterizedTest(name = "{1} on {0}")
  @MethodSource("casesOnDevices")
  void matchesPyTorch(Device d, Case c) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      Tensor input = golden(d, c.name(), "input");
      assertNotNull(input, "golden " + c.name() + "/input missing");
      In in = new In(input, golden(d, c.name(), "target"), golden(d, c.name(), "weight"),
          golden(d, c.name(), "pos_weight"));
      for (Reduction r : c.reductions()) {
        Tensor expected = golden(d, c.name(), "out_" + r.label());
        Tensor out = c.fwd().apply(in, r);
        assertClose(expected, out, c.rtol(), c.atol(), c.name() + " " + r.label() + " on " + d);
        Tensor grad = c.bwd().apply(golden(d, c.name(), "go_" + r.label()), in, r);
        assertClose(golden(d, c.name(), "grad_" + r.label()), grad, c.rtol() * 2, c.atol() * 2,
            c.name() + " grad " + r.label() + " on " + d);
        // Same call, same bits (fixed reduction order on every backend).
        assertArrayEquals(out.toFloatArray(), c.fwd().apply(in, r).toFloatArray(),
            c.name() + " " + r.label() + " is reproducible on " + d);
      }
    }
  }
}
