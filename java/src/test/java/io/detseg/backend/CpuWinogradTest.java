package io.detseg.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.detseg.ops.Conv;
import io.detseg.ops.ConvParams;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import io.detseg.testing.ConvGoldenCases;
import io.detseg.testing.Goldens;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CPU Winograd paths (native/cpu/conv_winograd.*): F(2x2, 3x3) for 3x3 stride-1 convolutions
 * (forward, data and weight gradients) and F(3x3, 2x2) for 2x2 stride-1 ones, the stride phases of
 * 4x4 stride-2 data gradients (sharing their tiles) and the input phases of 4x4 stride-2 forwards and
 * weight gradients. Forced on wherever they fit, every conv golden still holds with each
 * instruction set's kernels, exactly the passes that should take a path take it, and on shapes too
 * large for goldens they agree with the direct GEMM paths to float32 rounding.
 */
class CpuWinogradTest {
  @AfterEach
  void restore() {
    CpuConvKernels.forceWinogradForTesting("auto");
    assertTrue(CpuConvKernels.forceInstructionSetForTesting("auto"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"scalar", "avx2", "avx512"})
  void goldensHoldWithWinogradForced(String isa) {
    if (!CpuConvKernels.forceInstructionSetForTesting(isa)) {
      System.out.println("[detseg tests] Winograd kernels for " + isa + " not run: this CPU lacks " + isa);
      return;
    }
    CpuConvKernels.forceWinogradForTesting("always");
    int applicable = 0;
    for (JsonNode c : ConvGoldenCases.all()) {
      String op = c.get("op").asText();
      if (!op.startsWith("conv")) {
        continue;
      }
      long before = CpuConvKernels.winogradRunsForTesting();
      ConvGoldenCases.check(Device.CPU, c);
      long runs = CpuConvKernels.winogradRunsForTesting() - before;
      // the forward, the input gradient and the weight gradient each take the path at most once
      long expected = expectedRuns(c);
      assertEquals(expected, runs, c.get("name").asText() + ": Winograd runs with " + isa);
      applicable += expected > 0 ? 1 : 0;
    }
    assertTrue(applicable >= 14, "only " + applicable + " golden cases exercised the Winograd path");
  }

  /**
   * In the convolution's own terms (a transposed convolution's forward is the convolution's data
   * gradient and its input gradient the convolution's forward): the forward takes the path for 3x3 or
   * 2x2 kernels at stride 1, the data gradient when every stride phase has 3x3 or 2x2 taps, the weight
   * gradient for 3x3 kernels at stride 1; the forward and the weight gradient also for kernels of 2 x
   * stride (2x2 taps per stride phase); never depthwise.
   */
  private static long expectedRuns(JsonNode c) {
    String name = c.get("name").asText();
    long[] w;
    long[] x;
    long[] y;
    try (Tensor wt = Goldens.load("conv", name, "weight"); Tensor xt = Goldens.load("conv", name, "input");
        Tensor yt = Goldens.load("conv", name, "output")) {
      w = wt.shape();
      x = xt.shape();
      y = yt.shape();
    }
    int groups = c.get("groups").asInt();
    int[] s = ConvGoldenCases.ints(c, "stride");
    int[] d = ConvGoldenCases.ints(c, "dilation");
    boolean transposed = c.get("op").asText().equals("conv_transpose2d");
    long convIn = transposed ? w[1] * groups : x[1];
    if (convIn == groups) {
      return 0;  // depthwise
    }
    long kh = w[2];
    long kw = w[3];
    // the convolution's input size and top/left padding (conv2d "same" cases here are all stride 1,
    // where the padding does not change the phase taps)
    long h = transposed ? y[2] : x[2];
    long wd = transposed ? y[3] : x[3];
    int[] pad = transposed ? ConvGoldenCases.ints(c, "padding")
        : c.get("same").asBoolean() ? new int[] {0, 0} : ConvGoldenCases.ints(c, "pads");
    boolean forward = s[0] == 1 && s[1] == 1 && kh == kw && (kh == 2 || kh == 3)
        || strided2x2Phases(h, wd, pad, kh, kw, s, d);
    boolean weight = s[0] == 1 && s[1] == 1 && kh == 3 && kw == 3 || strided2x2Phases(h, wd, pad, kh, kw, s, d);
    boolean data = true;
    for (long ry = 0; ry < Math.min(s[0], h); ry++) {
      for (long rx = 0; rx < Math.min(s[1], wd); rx++) {
        long ty = phaseTaps(ry, pad[0], kh, s[0], d[0]);
        long tx = phaseTaps(rx, pad[1], kw, s[1], d[1]);
        data &= ty == tx && (ty == 2 || ty == 3);
      }
    }
    return (forward ? 1 : 0) + (data ? 1 : 0) + (weight ? 1 : 0);
  }

  /**
   * The strided forward's and weight gradient's Winograd paths (conv2d.cpp strided_phases): a kernel of 2 x stride
   * on both axes, stride above 1, undilated, and every input phase a tap class reads holds points.
   */
  private static boolean strided2x2Phases(long h, long w, int[] pad, long kh, long kw, int[] s, int[] d) {
    if (s[0] == 1 && s[1] == 1 || kh != 2L * s[0] || kw != 2L * s[1] || d[0] != 1 || d[1] != 1) {
      return false;
    }
    for (int k0 = 0; k0 < s[0]; k0++) {
      long r = Math.floorMod(k0 - pad[0], s[0]);
      if (r >= h) {
        return false;
      }
    }
    for (int k0 = 0; k0 < s[1]; k0++) {
      long r = Math.floorMod(k0 - pad[1], s[1]);
      if (r >= w) {
        return false;
      }
    }
    return true;
  }

  /** Kernel taps reaching input points r + stride*t (kernels/include/detseg/conv_math.cuh ds_conv_phase_taps). */
  private static long phaseTaps(long r, long pad, long k, long stride, long dil) {
    long step = stride / gcd(stride, dil);
    for (long ky = 0; ky < k && ky < step; ky++) {
      if (Math.floorMod(r + pad - ky * dil, stride) == 0) {
        return (k - ky + step - 1) / step;
      }
    }
    return 0;
  }

  private static long gcd(long a, long b) {
    return b == 0 ? a : gcd(b, a % b);
  }

  @Test
  void agreesWithTheDirectPathOnLargerShapes() {
    // {n, cin, cout, h, w, padTop, padLeft, padBottom, padRight, dilH, dilW, groups}: 256-wide rows of
    // whole vector groups, odd sizes, dilation 6 (ASPP), groups with batch, a lone row of tiles
    long[][] shapes = {
        {1, 64, 48, 19, 70, 1, 1, 1, 1, 1, 1, 1},
        {2, 40, 36, 13, 13, 1, 1, 1, 1, 1, 1, 2},
        {1, 32, 32, 30, 29, 6, 6, 6, 6, 6, 6, 1},
        {1, 33, 17, 2, 131, 1, 0, 1, 2, 1, 1, 1},
        {1, 48, 64, 9, 64, 3, 1, 3, 1, 3, 1, 1},
    };
    Random r = new Random(7);
    for (long[] s : shapes) {
      String what = java.util.Arrays.toString(s);
      try (Scope scope = Scope.open()) {
        long n = s[0], cin = s[1], cout = s[2], h = s[3], w = s[4];
        int groups = (int) s[11];
        Tensor x = random(r, n, cin, h, w);
        Tensor wt = random(r, cout, cin / groups, 3, 3);
        Tensor b = random(r, cout);
        ConvParams p = ConvParams.padded("conv2d", new int[] {1, 1}, new int[] {(int) s[5], (int) s[6], (int) s[7],
            (int) s[8]}, new int[] {(int) s[9], (int) s[10]}, groups, null);
        CpuConvKernels.forceWinogradForTesting("off");
        Tensor yDirect = Conv.conv2d(x, wt, b, p);
        Tensor g = random(r, yDirect.shape());
        Conv.Grads gDirect = Conv.conv2dBackward(g, x, wt, true, p);
        CpuConvKernels.forceWinogradForTesting("always");
        long before = CpuConvKernels.winogradRunsForTesting();
        Tensor yWino = Conv.conv2d(x, wt, b, p);
        Conv.Grads gWino = Conv.conv2dBackward(g, x, wt, true, p);
        assertEquals(3, CpuConvKernels.winogradRunsForTesting() - before, what + ": Winograd runs");
        close(what + " output", yDirect, yWino);
        close(what + " grad_input", gDirect.gradInput(), gWino.gradInput());
        close(what + " grad_weight", gDirect.gradWeight(), gWino.gradWeight());
      }
    }
  }

  @Test
  void autoModeTakesItWhereItPays() {
    CpuConvKernels.forceWinogradForTesting("auto");
    Random r = new Random(3);
    try (Scope scope = Scope.open()) {
      ConvParams p = ConvParams.padded("conv2d", new int[] {1, 1}, new int[] {1, 1, 1, 1}, new int[] {1, 1}, 1, null);
      long before = CpuConvKernels.winogradRunsForTesting();
      Conv.conv2d(random(r, 1, 64, 24, 24), random(r, 64, 64, 3, 3), null, p);
      assertEquals(1, CpuConvKernels.winogradRunsForTesting() - before, "64 -> 64 channels at 24x24");
      before = CpuConvKernels.winogradRunsForTesting();
      Conv.conv2d(random(r, 1, 3, 16, 16), random(r, 8, 3, 3, 3), null, p);
      assertEquals(0, CpuConvKernels.winogradRunsForTesting() - before, "3 -> 8 channels: the direct path");
      before = CpuConvKernels.winogradRunsForTesting();
      Conv.conv2d(random(r, 1, 64, 13, 13), random(r, 64, 64, 3, 3), null, p);
      assertEquals(0, CpuConvKernels.winogradRunsForTesting() - before, "13x13 maps: the direct path");
    }
  }

  private static Tensor random(Random r, long... shape) {
    long count = 1;
    for (long d : shape) {
      count *= d;
    }
    float[] v = new float[(int) count];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return Tensor.of(v, shape);
  }

  // float32 rounding of sums of ~600 (outputs, input gradients) to ~2600 (weight gradients) products
  // of unit-size terms: both paths are within ~1e-5 relative of the exact sum; a wrong tap, tile or
  // transform coefficient is off by O(1).
  private static void close(String what, Tensor expected, Tensor got) {
    float[] e = expected.toFloatArray();
    float[] a = got.toFloatArray();
    assertEquals(e.length, a.length, what + " size");
    for (int i = 0; i < e.length; i++) {
      assertTrue(Math.abs(e[i] - a[i]) <= 2e-4f + 1e-5f * Math.abs(e[i]), what + " at " + i + ": direct " + e[i]
          + ", Winograd " + a[i]);
    }
  }
}
