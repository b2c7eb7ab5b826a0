package io.detseg.ops.nn;

import io.detseg.Devices;
import io.detseg.ops.Activations;
import io.detseg.ops.BatchNorm;
import io.detseg.ops.Concat;
import io.detseg.ops.GradCheck;
import io.detseg.ops.Padding;
import io.detseg.ops.Pooling;
import io.detseg.ops.Resize;
import io.detseg.tensor.Device;
import io.detseg.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every nn backward against central finite differences of its forward (io.detseg.ops.GradCheck), with
 * respect to every input that has a gradient, on every backend. Inputs of the piecewise ops (max
 * pooling, relu6, leaky_relu) keep their values apart by more than the step, so no difference crosses a
 * kink or reorders a maximum.
 */
class NnGradCheckTest {
  static Stream<Device> devices() {
    return Devices.all();
  }

  private static final float H = 1e-2f;
  private static final float TOL = 2e-3f;

  /** Distinct values (a shuffled ramp with gaps of 0.1, well above 2h) for max-type ops. */
  static float[] distinct(int n, long seed) {
    List<Float> v = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      v.add((i - n / 2) * 0.1f);
    }
    Collections.shuffle(v, new Random(seed));
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = v.get(i);
    }
    return a;
  }

  static float[] gaussian(int n, long seed) {
    Random r = new Random(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian();
    }
    return a;
  }

  static int numel(long[] s) {
    return (int) Arrays.stream(s).reduce(1, (a, b) -> a * b);
  }

  // ---- pooling ------------------------------------------------------------------------------------------

  @ParameterizedTest
  @MethodSource("devices")
  void maxPool2d(Device d) {
    Devices.assumeUsable(d);
    long[] shape = {2, 2, 6, 7};
    for (Pooling.Spec spec : List.of(Pooling.Spec.torch("t", new int[] {3}, new int[] {2}, new int[] {1}, null, false),
        Pooling.Spec.torch("t", new int[] {2, 3}, new int[] {2, 1}, new int[] {1, 1}, new int[] {2, 2}, true))) {
      GradCheck.check("max_pool2d", d, distinct(numel(shape), 1), shape, x -> Pooling.maxPool2d(x, spec).output(),
          (g, x) -> Pooling.maxPool2dBackward(g, x, spec, Pooling.maxPool2d(x, spec).indices()), H, TOL);
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void avgPool2d(Device d) {
    Devices.assumeUsable(d);
    long[] shape = {1, 3, 7, 6};
    Pooling.Spec spec = Pooling.Spec.torch("t", new int[] {3, 2}, new int[] {2}, new int[] {1, 1}, null, true);
    for (boolean cip : new boolean[] {true, false}) {
      for (int div : new int[] {0, 5}) {
        GradCheck.check("avg_pool2d", d, gaussian(numel(shape), 2), shape, x -> Pooling.avgPool2d(x, spec, cip, div),
            (g, x) -> Pooling.avgPool2dBackward(g, x, spec, cip, div), H, TOL);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void adaptiveAndGlobalPooling(Device d) {
    Devices.assumeUsable(d);
    long[] shape = {2, 2, 5, 7};
    for (int[] out : new int[][] {{3, 4}, {1, 1}, {7, 9}}) {
      GradCheck.check("adaptive_avg_pool2d", d, gaussian(numel(shape), 3), shape,
          x -> Pooling.adaptiveAvgPool2d(x, out), Pooling::adaptiveAvgPool2dBackward, H, TOL);
      GradCheck.check("adaptive_max_pool2d", d, distinct(numel(shape), 4), shape,
          x -> Pooling.adaptiveMaxPool2d(x, out).output(),
          (g, x) -> Pooling.adaptiveMaxPool2dBackward(g, x, Pooling.adaptiveMaxPool2d(x, out).indices()), H, TOL);
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void maxUnpool2d(Device d) {
    Devices.assumeUsable(d);
    // Non-overlapping windows, so every index is unique: with duplicates the last write wins and PyTorch's
    // backward (a gather, which this op follows; see NnGoldenTest's mu_overlap) is not the derivative.
    try (Tensor src = Tensor.of(d, distinct(2 * 2 * 7 * 9, 5), 2, 2, 7, 9)) {
      Pooling.WithIndices p = Pooling.maxPool2d(src, new int[] {2}, new int[] {2}, new int[] {0}, null, true);
      long[] shape = p.output().shape();
      GradCheck.check("max_unpool2d", d, gaussian(numel(shape), 6), shape,
          x -> Pooling.maxUnpool2d(x, p.indices(), new int[] {2}, new int[] {2}, new int[] {0}, new long[] {7, 9}),
          (g, x) -> Pooling.maxUnpool2dBackward(g, x, p.indices()), H, TOL);
      p.output().close();
      p.indices().close();
    }
  }

  // ---- resize -------------------------------------------------------------------------------------------

  @ParameterizedTest
  @MethodSource("devices")
  void interpolate(Device d) {
    Devices.assumeUsable(d);
    long[] shape = {1, 2, 4, 5};
    Object[][] cases = {
        {"nearest", null, new long[] {7, 3}, null},
        {"nearest-exact", null, new long[] {6, 8}, null},
        {"bilinear", false, null, new double[] {1.7, 0.8}},
        {"bilinear", true, new long[] {7, 9}, null},
        {"bicubic", false, new long[] {9, 7}, null},
        {"bicubic", true, new long[] {3, 8}, null},
    };
    for (Object[] c : cases) {
      String mode = (String) c[0];
      Boolean align = (Boolean) c[1];
      long[] size = (long[]) c[2];
      double[] scale = (double[]) c[3];
      GradCheck.check("interpolate " + mode, d, gaussian(numel(shape), 7), shape,
          x -> Resize.interpolate(x, size, scale, mode, align, null),
          (g, x) -> Resize.interpolateBackward(g, x, size, scale, mode, align, null), H, TOL);
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void onnxResizeCubicExcludeOutside(Device d) {
    Devices.assumeUsable(d);
    long[] shape = {1, 1, 4, 5};
    Resize.Spec spec = Resize.onnxSpec("resize", 1, 1, 4, 5, new float[] {1, 1, 1.6f, 0.8f}, null, "cubic",
        "half_pixel", null, -0.5f, true);
    GradCheck.check("resize cubic", d, gaussian(numel(shape), 8), shape, x -> Resize.resize(x, spec),
        (g, x) -> Resize.resizeBackward(g, x, spec), H, TOL);
  }

  @ParameterizedTest
  @MethodSource("devices")
  void bedOfNails(Device d) {
    Devices.assumeUsable(d);
    long[] shape = {2, 2, 3, 4};
    GradCheck.check("upsample_bed_of_nails", d, gaussian(numel(shape), 9), shape,
        x -> Resize.bedOfNails(x, new int[] {3, 2}), (g, x) -> Resize.bedOfNailsBackward(g, x, new int[] {3, 2}), H,
        TOL);
  }

  // ---- batch norm ---------------------------------------------------------------------------------------

  @ParameterizedTest
  @MethodSource("devices")
  void batchNormEveryInput(Device d) {
    Devices.assumeUsable(d);
    long[] shape = {3, 4, 2, 3};
    int c = 4;
    float[] x0 = gaussian(numel(shape), 10);
    float[] w0 = {0.5f, 1.5f, -1f, 2f};
    float[] b0 = {0.1f, -0.2f, 0.3f, 0f};
    float[] rm0 = {0.2f, -0.1f, 0.5f, 0f};
    float[] rv0 = {1.5f, 0.7f, 2f, 1f};
    for (boolean training : new boolean[] {true, false}) {
      try (Tensor w = Tensor.of(d, w0, c); Tensor b = Tensor.of(d, b0, c); Tensor rm = Tensor.of(d, rm0, c);
          Tensor rv = Tensor.of(d, rv0, c); Tensor x = Tensor.of(d, x0, shape)) {
        // Running statistics only matter in inference (in training they are updated, never read).
        Tensor rmArg = training ? null : rm;
        Tensor rvArg = training ? null : rv;
        String tag = training ? "train" : "eval";
        GradCheck.check("batch_norm " + tag + " input", d, x0.clone(), shape,
            t -> BatchNorm.batchNorm(t, rmArg, rvArg, w, b, training, 0.1f, 1e-5f).output(),
            (g, t) -> {
              BatchNorm.Result r = BatchNorm.batchNorm(t, rmArg, rvArg, w, b, training, 0.1f, 1e-5f);
              return BatchNorm.batchNormBackward(g, t, w, rmArg, rvArg, r.saveMean(), r.saveInvstd(), training, 1e-5f)
                  .gradInput();
            }, H, 5e-3f);
        GradCheck.check("batch_norm " + tag + " weight", d, w0.clone(), new long[] {c},
            t -> BatchNorm.batchNorm(x, rmArg, rvArg, t, b, training, 0.1f, 1e-5f).output(),
            (g, t) -> {
              BatchNorm.Result r = BatchNorm.batchNorm(x, rmArg, rvArg, t, b, training, 0.1f, 1e-5f);
              return BatchNorm.batchNormBackward(g, x, t, rmArg, rvArg, r.saveMean(), r.saveInvstd(), training, 1e-5f)
                  .gradWeight();
            }, H, TOL);
        GradCheck.check("batch_norm " + tag + " bias", d, b0.clone(), new long[] {c},
            t -> BatchNorm.batchNorm(x, rmArg, rvArg, w, t, training, 0.1f, 1e-5f).output(),
            (g, t) -> {
              BatchNorm.Result r = BatchNorm.batchNorm(x, rmArg, rvArg, w, t, training, 0.1f, 1e-5f);
              return BatchNorm.batchNormBackward(g, x, w, rmArg, rvArg, r.saveMean(), r.saveInvstd(), training, 1e-5f)
                  .gradBias();
            }, H, TOL);
      }
    }
  }

  // ---- activations --------------------------------------------------------------------------------------

  @ParameterizedTest
  @MethodSource("devices")
  void activations(Device d) {
    Devices.assumeUsable(d);
    // Away from the kinks at 0 and 6.
    float[] x = {-3.1f, -0.5f, 0.2f, 1.3f, 2.7f, 5.1f, 5.8f, 6.4f, 9f, -0.05f, 0.05f, 3.3f};
    long[] shape = {3, 4};
    GradCheck.check("relu6", d, x.clone(), shape, Activations::relu6, Activations::relu6Backward, H, TOL);
    GradCheck.check("leaky_relu", d, x.clone(), shape, t -> Activations.leakyRelu(t, 0.2f),
        (g, t) -> Activations.leakyReluBackward(g, t, 0.2f), H, TOL);
    GradCheck.check("sigmoid", d, x.clone(), shape, Activations::sigmoid,
        (g, t) -> Activations.sigmoidBackward(g, Activations.sigmoid(t)), 1e-3f, TOL);
    GradCheck.check("tanh", d, x.clone(), shape, Activations::tanh,
        (g, t) -> Activations.tanhBackward(g, Activations.tanh(t)), 1e-3f, TOL);
  }

  // ---- cat, split, pad ----------------------------------------------------------------------------------

  @ParameterizedTest
  @MethodSource("devices")
  void catAndSplit(Device d) {
    Devices.assumeUsable(d);
    long[] shape = {2, 3, 2, 3};
    try (Tensor other = Tensor.of(d, gaussian(2 * 2 * 2 * 3, 11), 2, 2, 2, 3)) {
      GradCheck.check("cat", d, gaussian(numel(shape), 12), shape, x -> Concat.cat(List.of(other, x), 1),
          (g, x) -> Concat.catBackward(g, new long[] {2, 3}, 1).get(1), H, TOL);
    }
    GradCheck.check("split", d, gaussian(numel(shape), 13), shape, x -> Concat.splitSections(x, new long[] {1, 2}, 1).get(1),
        (g, x) -> Concat.splitBackward(Arrays.asList(null, g), List.of(new long[] {2, 1, 2, 3}, g.shape()), 1), H,
        TOL);
  }

  @ParameterizedTest
  @MethodSource("devices")
  void pad(Device d) {
    Devices.assumeUsable(d);
    long[] shape = {1, 2, 4, 5};
    Object[][] cases = {
        {"constant", new int[] {2, -1, 1, 3}},
        {"reflect", new int[] {3, 4, 3, 2}},
        {"replicate", new int[] {4, 1, 0, 5}},
    };
    for (Object[] c : cases) {
      String mode = (String) c[0];
      int[] p = (int[]) c[1];
      GradCheck.check("pad " + mode, d, gaussian(numel(shape), 14), shape, x -> Padding.pad(x, p, mode, 0.5f),
          (g, x) -> Padding.padBackward(g, x, p, mode), H, TOL);
    }
    long[] rows = {2, 4, 5};
    GradCheck.check("pad reflect 1-D", d, gaussian(numel(rows), 15), rows, x -> Padding.pad(x, new int[] {2, 4}, "reflect", 0f),
        (g, x) -> Padding.padBackward(g, x, new int[] {2, 4}, "reflect"), H, TOL);
  }
}
