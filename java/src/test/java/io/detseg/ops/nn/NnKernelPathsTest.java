package io.detseg.ops.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.detseg.Devices;
import io.detseg.ops.Activations;
import io.detseg.ops.BatchNorm;
import io.detseg.ops.Concat;
import io.detseg.ops.Padding;
import io.detseg.ops.Pooling;
import io.detseg.ops.Resize;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Launch paths the small goldens do not reach, CUDA against the CPU backend (itself checked against
 * PyTorch): pooling tiles over several blocks in x and y, the untiled fallbacks (no overlap; footprint
 * over the shared-memory budget), many planes, batch norm with several blocks per channel and with
 * channels shorter than a block, global pooling over several warps, resize backward over long ranges,
 * float4 and scalar paths of the copies and activations. Runs on CUDA_SIM (every launch under two
 * thread schedules compared bitwise) and CUDA when present.
 */
class NnKernelPathsTest {
  static Stream<Device> gpus() {
    return Devices.all().filter(d -> d != Device.CPU);
  }

  static float[] gaussian(int n, long seed) {
    Random r = new Random(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian();
    }
    return a;
  }

  /** f on CPU and on d from the same data; float results within tolerance, int results equal. */
  static void agree(String what, Device d, float[] data, long[] shape, Function<Tensor, Tensor> f, double tol) {
    try (Scope s = Scope.open()) {
      Tensor cpu = f.apply(Tensor.of(Device.CPU, data, shape));
      Tensor gpu = f.apply(Tensor.of(d, data, shape));
      assertArrayEquals(cpu.shape(), gpu.shape(), what + ": shape");
      if (cpu.dtype() == io.detseg.tensor.DType.INT32) {
        assertArrayEquals(cpu.toIntArray(), gpu.toIntArray(), what);
        return;
      }
      float[] a = cpu.toFloatArray();
      float[] b = gpu.toFloatArray();
      for (int i = 0; i < a.length; i++) {
        assertEquals(a[i], b[i], tol * Math.max(1, Math.abs(a[i])), what + " on " + d + " [" + i + "]");
      }
    }
  }

  @ParameterizedTest
  @MethodSource("gpus")
  void pooling(Device d) {
    Devices.assumeUsable(d);
    long[] shape = {2, 3, 37, 75};
    float[] x = gaussian(2 * 3 * 37 * 75, 1);
    Object[][] specs = {
        {"tiled 3x3 s2", new int[] {3}, new int[] {2}, new int[] {1}, new int[] {1}, true},
        {"tiled dilated", new int[] {3, 2}, new int[] {1, 2}, new int[] {1, 1}, new int[] {2, 3}, false},
        {"untiled k<=s", new int[] {2}, new int[] {3}, new int[] {0}, new int[] {1}, true},
        {"untiled footprint", new int[] {15, 17}, new int[] {8, 9}, new int[] {7, 8}, new int[] {1}, false},
    };
    for (Object[] c : specs) {
      Pooling.Spec spec = Pooling.Spec.torch("t", (int[]) c[1], (int[]) c[2], (int[]) c[3], (int[]) c[4], (Boolean) c[5]);
      String name = (String) c[0];
      agree("max_pool2d " + name, d, x, shape, t -> Pooling.maxPool2d(t, spec).output(), 0);
      agree("max_pool2d indices " + name, d, x, shape, t -> Pooling.maxPool2d(t, spec).indices(), 0);
      // Gradients summed in the same order on both backends: bitwise equal.
      agree("max_pool2d backward " + name, d, x, shape, t -> {
        Pooling.WithIndices r = Pooling.maxPool2d(t, spec);
        return Pooling.maxPool2dBackward(like(r.output(), 7), t, spec, r.indices());
      }, 0);
      if (spec.dilationH() == 1 && spec.dilationW() == 1) {
        agree("avg_pool2d " + name, d, x, shape, t -> Pooling.avgPool2d(t, spec, false, 0), 1e-6);
        agree("avg_pool2d backward " + name, d, x, shape,
            t -> Pooling.avgPool2dBackward(like(Pooling.avgPool2d(t, spec, true, 0), 8), t, spec, true, 0), 0);
      }
    }
    agree("adaptive_avg_pool2d", d, x, shape, t -> Pooling.adaptiveAvgPool2d(t, new int[] {11, 13}), 1e-6);
    agree("adaptive_max_pool2d", d, x, shape, t -> Pooling.adaptiveMaxPool2d(t, new int[] {11, 13}).indices(), 0);
    agree("adaptive backward", d, x, shape, t -> Pooling.adaptiveMaxPool2dBackward(
        Pooling.adaptiveAvgPool2d(t, new int[] {11, 13}), t, Pooling.adaptiveMaxPool2d(t, new int[] {11, 13}).indices()),
        0);
    // Global pooling: 6 planes of 2775 elements, then 70 planes (several blocks of 8 warps).
    agree("global avg", d, x, shape, Pooling::globalAvgPool2d, 1e-5);
    agree("global max", d, x, shape, t -> Pooling.globalMaxPool2d(t).indices(), 0);
    long[] many = {7, 10, 9, 11};
    float[] y = gaussian(7 * 10 * 9 * 11, 2);
    agree("global avg, many planes", d, y, many, Pooling::globalAvgPool2d, 1e-6);
    agree("global max, many planes", d, y, many, t -> Pooling.globalMaxPool2d(t).output(), 0);
    agree("global avg backward", d, y, many, t -> Pooling.adaptiveAvgPool2dBackward(Pooling.globalAvgPool2d(t), t), 0);
  }

  @ParameterizedTest
  @MethodSource("gpus")
  void resize(Device d) {
    Devices.assumeUsable(d);
    long[] shape = {2, 3, 19, 23};
    float[] x = gaussian(2 * 3 * 19 * 23, 3);
    for (String mode : new String[] {"nearest", "nearest-exact", "bilinear", "bicubic"}) {
      for (long[] size : new long[][] {{41, 50}, {7, 5}, {19, 60}, {57, 69}, {38, 46}}) {
        Boolean align = mode.startsWith("nearest") ? null : Boolean.FALSE;
        agree("interpolate " + mode + " to " + size[0] + "x" + size[1], d, x, shape,
            t -> Resize.interpolate(t, size, null, mode, align, null), 1e-5);
        agree("interpolate backward " + mode + " to " + size[0] + "x" + size[1], d, x, shape, t -> {
          Tensor g = Resize.interpolate(t, size, null, mode, align, null);
          return Resize.interpolateBackward(g, t, size, null, mode, align, null);
        }, 1e-5);
      }
    }
    agree("bed of nails", d, x, shape, t -> Resize.bedOfNailsBackward(Resize.bedOfNails(t, new int[] {2, 3}), t,
        new int[] {2, 3}), 0);
  }

  @ParameterizedTest
  @MethodSource("gpus")
  void batchNorm(Device d) {
    Devices.assumeUsable(d);
    // M = N * S = 4 * 1500 (3 blocks per channel); then S = 7 with N = 700 (a block spans many rows).
    for (long[] shape : new long[][] {{4, 5, 30, 50}, {700, 3, 7}}) {
      int n = (int) (shape[0] * shape[1] * (shape.length == 4 ? shape[2] * shape[3] : shape[2]));
      float[] x = gaussian(n, 4);
      for (int i = 0; i < n; i++) {
        x[i] = x[i] * 3 + 50;  // an offset mean: the one-pass variance must not cancel
      }
      int c = (int) shape[1];
      for (boolean training : new boolean[] {true, false}) {
        agree("batch_norm " + training, d, x, shape, t -> {
          Tensor rm = Tensor.of(t.device(), new float[c], c);
          Tensor rv = Tensor.of(t.device(), filled(c, 2f), c);
          Tensor w = Tensor.of(t.device(), filled(c, 1.5f), c);
          BatchNorm.Result r = BatchNorm.batchNorm(t, rm, rv, w, null, training, 0.1f, 1e-5f);
          BatchNorm.Grads g = BatchNorm.batchNormBackward(like(r.output(), 9), t, w, rm, rv, r.saveMean(),
              r.saveInvstd(), training, 1e-5f);
          return Concat.cat(List.of(r.output().reshape(r.output().numel()), g.gradInput().reshape(
              g.gradInput().numel()), g.gradWeight(), g.gradBias(), rm, rv), 0);
        }, 2e-4);
      }
    }
  }

  /** Gaussian data of t's shape on t's device, the same on every backend (a gradient independent of the forward's rounding). */
  static Tensor like(Tensor t, long seed) {
    return Tensor.of(t.device(), gaussian((int) t.numel(), seed), t.shape());
  }

  static float[] filled(int n, float v) {
    float[] a = new float[n];
    java.util.Arrays.fill(a, v);
    return a;
  }

  @ParameterizedTest
  @MethodSource("gpus")
  void copiesActivationsAndPads(Device d) {
    Devices.assumeUsable(d);
    long[] shape = {3, 8, 9, 13};
    float[] x = gaussian(3 * 8 * 9 * 13, 5);
    // 13 * 9 = 117 elements per channel: slices at offsets that are not multiples of 4 (scalar path) and
    // 4-channel pieces of a 4-aligned layout (float4 path).
    agree("split/cat scalar", d, x, shape, t -> {
      List<Tensor> p = Concat.splitSections(t, new long[] {3, 5}, 1);
      return Concat.cat(List.of(p.get(1), p.get(0)), 1);
    }, 0);
    agree("split/cat float4", d, gaussian(3 * 8 * 12 * 13, 6), new long[] {3, 8, 12, 13},
        t -> Concat.cat(Concat.split(t, 2, 3).subList(0, 3), 3), 0);
    for (int off = 0; off < 3; off++) {
      int n = x.length - off;
      float[] part = java.util.Arrays.copyOfRange(x, off, x.length);
      agree("activations n=" + n, d, part, new long[] {n}, t -> Concat.cat(List.of(Activations.relu6(t),
          Activations.leakyRelu(t, 0.3f), Activations.sigmoid(t), Activations.tanh(t),
          Activations.tanhBackward(t, Activations.tanh(t))), 0), 1e-6);
    }
    agree("pad reflect", d, x, shape, t -> Padding.padBackward(Padding.pad(t, new int[] {8, 12, 5, 8}, "reflect", 0f),
        t, new int[] {8, 12, 5, 8}, "reflect"), 1e-6);
    agree("pad replicate", d, x, shape, t -> Padding.padBackward(Padding.pad(t, new int[] {20, 1, 0, 30}, "replicate",
        0f), t, new int[] {20, 1, 0, 30}, "replicate"), 1e-5);
  }
}
