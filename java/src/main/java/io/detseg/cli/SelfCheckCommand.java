package io.detseg.cli;

import io.detseg.backend.Backends;
import io.detseg.ops.Ops;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * `detseg selfcheck`: runs every first op on each usable backend and compares the results with a
 * plain Java computation, so a fresh install can prove its kernels work on this machine.
 */
@Command(name = "selfcheck", mixinStandardHelpOptions = true,
    description = "Run the ops on every usable backend and check them against plain Java results.")
final class SelfCheckCommand implements Callable<Integer> {
  @Option(names = "--size", defaultValue = "100003", description = "elements per tensor (default: ${DEFAULT-VALUE})")
  int size;

  @Option(names = "--boxes", defaultValue = "300", description = "boxes per side for box_iou (default: ${DEFAULT-VALUE})")
  int boxes;

  private record Check(String op, float[] expected, Function<Device, float[]> run, float tolerance) {}

  @Override
  public Integer call() {
    Random rnd = new Random(42);
    float[] a = randoms(rnd, size);
    float[] b = randoms(rnd, size);
    float[] b1 = randomBoxes(rnd, boxes);
    float[] b2 = randomBoxes(rnd, boxes + 7);
    List<Check> checks = new ArrayList<>();
    checks.add(new Check("add", map2(a, b, Float::sum), d -> run(d, a, b, Ops::add), 0f));
    checks.add(new Check("mul", map2(a, b, (x, y) -> x * y), d -> run(d, a, b, Ops::mul), 0f));
    checks.add(new Check("relu", map2(a, a, (x, y) -> Math.max(x, 0f)), d -> run(d, a, a, (x, y) -> Ops.relu(x)), 0f));
    checks.add(new Check("sum", new float[] {(float) sum(a)}, d -> run(d, a, a, (x, y) -> Ops.sum(x)), 1e-4f));
    checks.add(new Check("max", new float[] {max(a)}, d -> run(d, a, a, (x, y) -> Ops.max(x)), 0f));
    checks.add(new Check("box_iou", iou(b1, b2), d -> runBoxes(d, b1, b2), 1e-6f));

    boolean ok = true;
    System.out.printf("%-9s %-8s %-6s %s%n", "backend", "op", "result", "max |error|");
    for (Device d : Device.values()) {
      if (!Backends.isAvailable(d)) {
        System.out.printf("%-9s %-8s %-6s %s%n", d.label(), "-", "skip", Backends.unavailableReason(d));
        continue;
      }
      for (Check c : checks) {
        float[] got = c.run().apply(d);
        double err = maxRelError(c.expected(), got);
        boolean pass = got.length == c.expected().length && err <= c.tolerance();
        ok &= pass;
        System.out.printf("%-9s %-8s %-6s %.3g%n", d.label(), c.op(), pass ? "ok" : "FAIL", err);
      }
    }
    System.out.println(ok ? "selfcheck passed" : "selfcheck FAILED");
    return ok ? 0 : 1;
  }

  private interface Binary {
    Tensor apply(Tensor x, Tensor y);
  }

  private static float[] run(Device d, float[] a, float[] b, Binary op) {
    try (Scope s = Scope.open()) {
      return op.apply(Tensor.of(d, a), Tensor.of(d, b)).toFloatArray();
    }
  }

  private static float[] runBoxes(Device d, float[] b1, float[] b2) {
    try (Scope s = Scope.open()) {
      return Ops.boxIou(Tensor.of(d, b1, b1.length / 4, 4), Tensor.of(d, b2, b2.length / 4, 4)).toFloatArray();
    }
  }

  private interface FloatOp {
    float apply(float x, float y);
  }

  private static float[] map2(float[] a, float[] b, FloatOp f) {
    float[] out = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = f.apply(a[i], b[i]);
    }
    return out;
  }

  private static double sum(float[] a) {
    double s = 0;
    for (float v : a) {
      s += v;
    }
    return s;
  }

  private static float max(float[] a) {
    float m = Float.NEGATIVE_INFINITY;
    for (float v : a) {
      m = Math.max(m, v);
    }
    return m;
  }

  private static float[] iou(float[] b1, float[] b2) {
    int n = b1.length / 4;
    int m = b2.length / 4;
    float[] out = new float[n * m];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < m; j++) {
        double w = Math.max(0, Math.min(b1[4 * i + 2], b2[4 * j + 2]) - Math.max(b1[4 * i], b2[4 * j]));
        double h = Math.max(0, Math.min(b1[4 * i + 3], b2[4 * j + 3]) - Math.max(b1[4 * i + 1], b2[4 * j + 1]));
        double a1 = (b1[4 * i + 2] - b1[4 * i]) * (double) (b1[4 * i + 3] - b1[4 * i + 1]);
        double a2 = (b2[4 * j + 2] - b2[4 * j]) * (double) (b2[4 * j + 3] - b2[4 * j + 1]);
        out[i * m + j] = (float) (w * h / (a1 + a2 - w * h));
      }
    }
    return out;
  }

  private static float[] randoms(Random rnd, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) rnd.nextGaussian();
    }
    return v;
  }

  private static float[] randomBoxes(Random rnd, int n) {
    float[] v = new float[4 * n];
    for (int i = 0; i < n; i++) {
      float x = rnd.nextFloat() * 500;
      float y = rnd.nextFloat() * 500;
      v[4 * i] = x;
      v[4 * i + 1] = y;
      v[4 * i + 2] = x + 1 + rnd.nextFloat() * 100;
      v[4 * i + 3] = y + 1 + rnd.nextFloat() * 100;
    }
    return v;
  }

  /** Largest |got - expected| / max(1, |expected|), so sums and values near 0 are judged alike. */
  private static double maxRelError(float[] expected, float[] got) {
    if (expected.length != got.length) {
      return Double.POSITIVE_INFINITY;
    }
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      double e = Math.abs((double) got[i] - expected[i]) / Math.max(1.0, Math.abs(expected[i]));
      if (Double.isNaN(e)) {
        return Double.POSITIVE_INFINITY;
      }
      worst = Math.max(worst, e);
    }
    return worst;
  }
}
