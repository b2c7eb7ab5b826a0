package io.detseg.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.Devices;
import io.detseg.tensor.DType;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import java.util.stream.Stream;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input to the losses: clear IllegalArgumentExceptions (op, argument, expected, got), targets out
 * of range reported with their position from the kernels on every backend, NaN logits giving NaN
 * losses, and PyTorch's values for empty inputs and all-ignored targets.
 */
class LossBadInputTest {
  static Stream<Device> devices() {
    return Devices.all();
  }

  private static void expect(Executable call, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void targetsOutOfRangeAreReportedWithTheirPosition(Device d) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      Tensor rows = Tensor.of(d, new float[12], 4, 3);
      Tensor t = Tensor.of(d, new int[] {0, 2, 3, -1}, 4);
      String[] msg = {"argument 'target': expected class indices in [0, 3) or ignore_index -100", "got 3",
          "position 2"};
      expect(() -> Losses.crossEntropy(rows, t), msg);
      expect(() -> Losses.crossEntropyBackward(Tensor.scalar(d, 1f), rows, t, null, -100, Reduction.MEAN, 0f), msg);
      expect(() -> Losses.crossEntropyBackward(Tensor.scalar(d, 1f), rows, t, null, -100, Reduction.SUM, 0f), msg);
      expect(() -> Losses.nllLoss(rows, t, null, -100, Reduction.NONE), msg);
      expect(() -> Losses.nllLossBackward(Tensor.scalar(d, 1f), rows, t, null, -100, Reduction.SUM), msg);
      expect(() -> Losses.softmaxFocalLoss(rows, t, null, 1f, 2f, -100, Reduction.MEAN), msg);
      // ignore_index -1 makes the -1 fine, 3 is still bad
      expect(() -> Losses.crossEntropy(rows, t, null, -1, Reduction.SUM, 0f), "ignore_index -1", "got 3");
      Tensor spatial = Tensor.of(d, new float[2 * 3 * 5], 2, 3, 5);
      Tensor ts = Tensor.of(d, new int[] {0, 1, 2, 0, 1, 2, 0, 7, 1, 9}, 2, 5);
      expect(() -> Losses.crossEntropy(spatial, ts, null, -100, Reduction.NONE, 0.1f), "got 7", "position 7");
      expect(() -> Losses.crossEntropyBackward(Tensor.zeros(d, DType.FLOAT32, 2, 5), spatial, ts, null, -100,
          Reduction.NONE, 0.1f), "got 7", "position 7");
      // ignore_index inside [0, C) ignores that class
      Tensor ok = Tensor.of(d, new int[] {0, 1, 2, 2}, 4);
      float withIgnore = Losses.crossEntropy(rows, ok, null, 2, Reduction.MEAN, 0f).item();
      assertEquals((float) Math.log(3), withIgnore, 1e-6f, "two used rows of uniform logits");
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void regionLossArgumentsAndTargets(Device d) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      RegionLosses.Options def = RegionLosses.Options.defaults();
      Tensor x = Tensor.of(d, new float[2 * 3 * 4], 2, 3, 4);
      Tensor t = Tensor.of(d, new int[] {0, 1, 2, 0, 1, 5, 2, 0}, 2, 4);
      expect(() -> RegionLosses.diceLoss(x, t, RegionLosses.Mode.MULTICLASS, def, Reduction.MEAN),
          "dice_loss: argument 'target': expected class indices in [0, 3)", "got 5", "position 5");
      expect(() -> RegionLosses.jaccardLossBackward(Tensor.scalar(d, 1f), x, t, RegionLosses.Mode.MULTICLASS, def,
          Reduction.MEAN), "got 5");
      expect(() -> RegionLosses.diceLoss(x, Tensor.of(d, new float[24], 2, 3, 4), RegionLosses.Mode.BINARY, def,
          Reduction.MEAN), "expected shape [N, 1, d...] in mode binary");
      expect(() -> RegionLosses.diceLoss(x, Tensor.of(d, new float[8], 2, 4), RegionLosses.Mode.MULTILABEL, def,
          Reduction.MEAN), "argument 'target': expected shape [2, 3, 4]");
      expect(() -> RegionLosses.diceLoss(x, Tensor.of(d, new float[8], 2, 4), RegionLosses.Mode.MULTICLASS, def,
          Reduction.MEAN), "argument 'target': expected dtype int32");
      expect(() -> RegionLosses.Mode.parse("dice_loss", "multi"), "expected 'binary', 'multiclass' or 'multilabel'");
      expect(() -> RegionLosses.compoundLoss(x, Tensor.of(d, new int[8], 2, 4), RegionLosses.Mode.MULTICLASS, false,
          0.5f, def, Reduction.NONE), "compound_loss: argument 'reduction': expected 'mean' or 'sum'");
      expect(() -> RegionLosses.compoundLoss(x, Tensor.of(d, new int[8], 2, 4), RegionLosses.Mode.MULTICLASS, false,
          1.5f, def, Reduction.MEAN), "argument 'beta'");
      // no pixels: every class absent, loss 0
      Tensor e = Tensor.of(d, new float[0], 2, 3, 0);
      assertEquals(0f, RegionLosses.diceLoss(e, Tensor.of(d, new int[0], 2, 0), RegionLosses.Mode.MULTICLASS, def,
          Reduction.MEAN).item());
      // NaN logits: NaN loss
      float[] nan = new float[24];
      nan[7] = Float.NaN;
      assertTrue(Float.isNaN(RegionLosses.diceLoss(Tensor.of(d, nan, 2, 3, 4), Tensor.of(d, new int[8], 2, 4),
          RegionLosses.Mode.MULTICLASS, def, Reduction.MEAN).item()));
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void probabilitiesOutsideTheUnitIntervalAreRejected(Device d) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(d, new float[] {0.5f, 1.5f, -0.1f});
      Tensor t = Tensor.of(d, new float[] {1, 0, 1});
      expect(() -> Losses.binaryCrossEntropy(x, t, null, Reduction.MEAN), "binary_cross_entropy: argument 'input'",
          "expected probabilities in [0, 1] but got 1.5 at flat index 1");
      Tensor nan = Tensor.of(d, new float[] {0.5f, Float.NaN, 0.2f});
      assertTrue(Float.isNaN(Losses.binaryCrossEntropy(nan, t, null, Reduction.MEAN).item()), "NaN in, NaN out");
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void nanLogitsGiveNanLossesNeverACrash(Device d) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      float[] v = {1, 2, 3, Float.NaN, 0, 1, 2, 3, 4};
      Tensor x = Tensor.of(d, v, 3, 3);
      Tensor t = Tensor.of(d, new int[] {0, 1, 2}, 3);
      float[] none = Losses.crossEntropy(x, t, null, -100, Reduction.NONE, 0f).toFloatArray();
      assertTrue(!Float.isNaN(none[0]) && Float.isNaN(none[1]) && !Float.isNaN(none[2]), "only row 1 is NaN");
      assertTrue(Float.isNaN(Losses.crossEntropy(x, t).item()));
      float[] g = Losses.crossEntropyBackward(Tensor.scalar(d, 1f), x, t, null, -100, Reduction.SUM, 0f).toFloatArray();
      assertTrue(Float.isNaN(g[4]) && !Float.isNaN(g[0]), "NaN gradient in the NaN row only");
      Tensor xs = Tensor.of(d, v, 1, 3, 3);
      Tensor ts = Tensor.of(d, new int[] {0, 1, 2}, 1, 3);
      assertTrue(Float.isNaN(Losses.crossEntropy(xs, ts).item()), "spatial");
      assertTrue(Float.isNaN(Losses.sigmoidFocalLoss(x, Tensor.of(d, new float[9], 3, 3), 0.25f, 2f, Reduction.SUM)
          .item()));
      assertTrue(Float.isNaN(Losses.binaryCrossEntropyWithLogits(x, Tensor.of(d, new float[9], 3, 3), null, null,
          Reduction.MEAN).item()));
      assertTrue(Float.isNaN(Losses.smoothL1Loss(x, Tensor.of(d, new float[9], 3, 3), Reduction.MEAN, 1f).item()));
      // infinite logits that are not the maximum are fine
      Tensor inf = Tensor.of(d, new float[] {Float.NEGATIVE_INFINITY, 0, 0}, 1, 3);
      assertEquals((float) Math.log(2), Losses.crossEntropy(inf, Tensor.of(d, new int[] {1}, 1)).item(), 1e-6f);
      assertEquals(0f, Losses.binaryCrossEntropyWithLogits(Tensor.of(d, new float[] {200f}),
          Tensor.of(d, new float[] {1f}), null, null, Reduction.SUM).item(), 0f, "saturated logit");
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void emptyInputsAndAllIgnoredTargetsFollowPyTorch(Device d) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(d, new float[0], 0, 4);
      Tensor t = Tensor.of(d, new int[0], 0);
      assertTrue(Float.isNaN(Losses.crossEntropy(x, t).item()), "mean of nothing is NaN");
      assertEquals(0f, Losses.crossEntropy(x, t, null, -100, Reduction.SUM, 0f).item());
      assertArrayEquals(new long[] {0}, Losses.crossEntropy(x, t, null, -100, Reduction.NONE, 0f).shape());
      assertArrayEquals(new long[] {0, 4},
          Losses.crossEntropyBackward(Tensor.scalar(d, 1f), x, t, null, -100, Reduction.MEAN, 0f).shape());
      Tensor x2 = Tensor.of(d, new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
      Tensor ignored = Tensor.of(d, new int[] {-100, -100}, 2);
      assertTrue(Float.isNaN(Losses.crossEntropy(x2, ignored).item()), "all ignored: 0 / 0 as PyTorch");
      assertTrue(Float.isNaN(Losses.nllLoss(x2, ignored, null, -100, Reduction.MEAN).item()));
      assertEquals(0f, Losses.crossEntropy(x2, ignored, null, -100, Reduction.SUM, 0.1f).item());
      Tensor e = Tensor.of(d, new float[0], 0);
      assertTrue(Float.isNaN(Losses.mseLoss(e, e, Reduction.MEAN).item()));
      assertEquals(0f, Losses.sigmoidFocalLoss(e, e, 0.25f, 2f, Reduction.SUM).item());
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void argumentsAreCheckedInJava(Device d) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(d, new float[24], 2, 3, 4);
      Tensor t = Tensor.of(d, new int[8], 2, 4);
      expect(() -> Losses.crossEntropy(x, Tensor.of(d, new int[6], 2, 3)), "cross_entropy: argument 'target'",
          "expected shape [2, 4]", "got [2, 3]");
      expect(() -> Losses.crossEntropy(x, Tensor.of(d, new float[8], 2, 4)), "argument 'target': expected dtype int32");
      expect(() -> Losses.crossEntropy(x, t, Tensor.of(d, new float[4], 4), -100, Reduction.MEAN, 0f),
          "argument 'weight': expected shape [3]", "got [4]");
      expect(() -> Losses.crossEntropy(x, t, null, -100, Reduction.MEAN, 1.5f),
          "argument 'label_smoothing': expected a value in [0.0, 1.0] but got 1.5");
      expect(() -> Losses.crossEntropy(x, t, null, -100, null, 0f), "argument 'reduction'");
      expect(() -> Losses.crossEntropy(Tensor.of(d, new float[0], 2, 0), Tensor.of(d, new int[2], 2)),
          "expected at least one class");
      expect(() -> Losses.crossEntropyBackward(Tensor.of(d, new float[2], 2), x, t, null, -100, Reduction.MEAN, 0f),
          "argument 'grad_output': expected a single element");
      expect(() -> Losses.crossEntropyBackward(Tensor.of(d, new float[2], 2), x, t, null, -100, Reduction.NONE, 0f),
          "argument 'grad_output': expected shape [2, 4]");
      expect(() -> Losses.softmaxFocalLoss(x, t, null, 1f, -1f, -100, Reduction.MEAN), "'gamma': expected a value >= 0");
      Tensor p = Tensor.of(d, new float[6], 2, 3);
      expect(() -> Losses.mseLoss(p, Tensor.of(d, new float[6], 3, 2), Reduction.MEAN), "mse_loss: argument 'target'",
          "expected shape [2, 3]");
      expect(() -> Losses.binaryCrossEntropyWithLogits(p, p, null, Tensor.of(d, new float[2], 2), Reduction.MEAN),
          "argument 'pos_weight'", "cannot broadcast");
      expect(() -> Losses.binaryCrossEntropyWithLogits(x, Tensor.of(d, new float[24], 2, 3, 4), null,
          Tensor.of(d, new float[8], 2, 1, 4), Reduction.MEAN), "not one contiguous run");
      expect(() -> Losses.smoothL1Loss(p, p, Reduction.MEAN, -1f), "'beta': expected a value >= 0");
      expect(() -> Reduction.parse("l1_loss", "avg"), "expected 'none', 'mean' or 'sum' but got 'avg'");
    }
  }
}
