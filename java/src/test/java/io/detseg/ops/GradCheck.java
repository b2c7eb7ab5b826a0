package io.detseg.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Finite-difference gradient checks. For an op y = f(x) and a random weight w, the scalar
 * L = Σ w·y has dL/dx = backward(w); each component is compared with the central difference
 * (L(x + h·e_i) − L(x − h·e_i)) / 2h, with L accumulated in double so only the op's float error remains.
 */
public final class GradCheck {
  private GradCheck() {}

  public static void check(String op, Device device, float[] x, long[] shape, Function<Tensor, Tensor> forward,
      BiFunction<Tensor, Tensor, Tensor> backward, float h, float tolerance) {
    Random rnd = new Random(op.hashCode());
    float[] analytic;
    float[] w;
    try (Scope s = Scope.open()) {
      Tensor tx = Tensor.of(device, x, shape);
      Tensor y = forward.apply(tx);
      w = new float[(int) y.numel()];
      for (int i = 0; i < w.length; i++) {
        w[i] = (float) rnd.nextGaussian();
      }
      analytic = backward.apply(Tensor.of(device, w, y.shape()), tx).toFloatArray();
    }
    for (int i = 0; i < x.length; i++) {
      float saved = x[i];
      x[i] = saved + h;
      double plus = loss(device, x, shape, forward, w);
      x[i] = saved - h;
      double minus = loss(device, x, shape, forward, w);
      x[i] = saved;
      double numeric = (plus - minus) / (2.0 * h);
      assertEquals(numeric, analytic[i], tolerance * Math.max(1, Math.abs(numeric)),
          op + " on " + device + ": d/dx[" + i + "]");
    }
  }

  private static double loss(Device device, float[] x, long[] shape, Function<Tensor, Tensor> forward, float[] w) {
    try (Scope s = Scope.open()) {
      float[] y = forward.apply(Tensor.of(device, x, shape)).toFloatArray();
      double l = 0;
      for (int i = 0; i < y.length; i++) {
        l += (double) w[i] * y[i];
      }
      return l;
    }
  }
}
