package io.detseg.ops;

import io.detseg.Devices;
import io.detseg.backend.LossKernels.Pointwise;
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
 * The fused pointwise losses (loss and its input gradient for a unit upstream gradient in one pass:
 * ds_loss_pw_fused_* on CUDA, pointwiseFused on the CPU) against the separate forward and backward of
 * the same loss, for every kind and reduction, on every backend. The public API reaches the fused path
 * for focal and BCE-with-logits only; the other kinds' fused kernels are in the module and run here.
 */
class FusedPointwiseLossTest {
  private static final String[] KINDS = {"bce", "bce_with_logits", "sigmoid_focal", "balanced_bce", "smooth_l1", "l1",
      "mse"};
  private static final long[] SHAPE = {3, 5, 7};

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (Device d : Devices.all().toList()) {
      for (int kind = 0; kind < KINDS.length; kind++) {
        for (Reduction r : Reduction.values()) {
          out.add(Arguments.of(d, KINDS[kind], kind, r));
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{1} {3} on {0}")
  @MethodSource("cases")
  void fusedMatchesTheForwardAndBackward(Device d, String name, int kind, Reduction r) {
    Devices.assumeUsable(d);
    int n = (int) (SHAPE[0] * SHAPE[1] * SHAPE[2]);
    boolean probabilities = kind == Pointwise.BCE || kind == Pointwise.BALANCED_BCE;
    boolean binaryTargets = kind <= Pointwise.BALANCED_BCE;
    float[] x = new float[n];
    float[] t = new float[n];
    for (int i = 0; i < n; i++) {
      float u = ((i * 37) % 101) / 100f;  // 0 .. 1, scrambled
      x[i] = probabilities ? 0.02f + 0.96f * u : 6f * u - 3f;
      t[i] = binaryTargets ? (i % 3 == 0 ? 0.25f : (i % 2)) : 4f * (((i * 53) % 97) / 96f) - 2f;
    }
    float a = kind == Pointwise.SIGMOID_FOCAL ? 0.25f : kind == Pointwise.BALANCED_BCE ? 0.3f
        : kind == Pointwise.SMOOTH_L1 ? 0.5f : 0f;
    float b = kind == Pointwise.SIGMOID_FOCAL ? 2f : 0f;
    try (Scope s = Scope.open()) {
      Tensor xt = Tensor.of(d, x, SHAPE);
      Tensor tt = Tensor.of(d, t, SHAPE);
      // a pos_weight broadcast over the last dim, as BCE-with-logits takes it
      Tensor posWeight = kind == Pointwise.BCE_WITH_LOGITS
          ? Tensor.of(d, new float[] {0.5f, 1f, 1.5f, 2f, 2.5f, 3f, 0.75f}, 7) : null;
      Pointwise p = Losses.pw(name, kind, xt, tt, null, posWeight, a, b);
      Tensor loss = Losses.pointwise(name, p, r);
      float[] ones = new float[r == Reduction.NONE ? n : 1];
      java.util.Arrays.fill(ones, 1f);
      Tensor unit = r == Reduction.NONE ? Tensor.of(d, ones, SHAPE) : Tensor.scalar(d, 1f);
      Tensor grad = Losses.pointwiseBackward(name, unit, p, r);
      Losses.LossAndGrad fused = Losses.fused(name, p, r);
      LossTesting.assertClose(loss, fused.loss(), 1e-5, 1e-5, name + " " + r + " on " + d + ": loss");
      LossTesting.assertClose(grad, fused.gradInput(), 1e-5, 1e-5, name + " " + r + " on " + d + ": grad");
    }
  }
}
