package io.detseg.ops;

import static io.detseg.ops.RoiGoldens.assertBits;
import static io.detseg.ops.RoiGoldens.assertClose;
import static io.detseg.ops.RoiGoldens.assertSame;
import static io.detseg.ops.RoiGoldens.assertShape;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.Devices;
import io.detseg.backend.cuda.SimDriver;
import io.detseg.backend.cuda.SimOptions;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * roi_align and multi-scale RoIAlign against torchvision 0.14 goldens (tools/goldens/roi.py) on every
 * backend, the two CUDA backward modes, and the odd inputs the goldens cannot hold (NaN boxes, boxes
 * torchvision itself rejects).
 */
class RoiAlignTest {
  static Stream<Device> devices() {
    return Devices.all();
  }

  static float[] params(String c) {
    return RoiGoldens.floats(c, "params");
  }

  /**
   * Forward and (deterministic) backward equal torchvision's CPU results as floats: the shared
   * formulas round every operation like torchvision's kernel and the gradient adds each pixel's shares
   * in torchvision's order, so no tolerance is needed.
   */
  @ParameterizedTest
  @MethodSource("devices")
  void matchesTorchvisionExactly(Device d) {
    Devices.assumeUsable(d);
    for (String c : RoiGoldens.cases("roi_align_")) {
      float[] p = params(c);
      int[] size = {(int) p[0], (int) p[1]};
      try (Scope s = Scope.open()) {
        Tensor input = RoiGoldens.load(c, "input", d);
        Tensor boxes = RoiGoldens.load(c, "boxes", d);
        Tensor out = Roi.roiAlign(input, boxes, size, p[2], (int) p[3], p[4] != 0);
        assertShape(RoiGoldens.shape(c, "output"), out, c);
        assertSame(RoiGoldens.floats(c, "output"), out.toFloatArray(), c + " output on " + d);
        Tensor grad = Roi.roiAlignBackward(RoiGoldens.load(c, "grad_output", d), boxes, input.shape(), p[2],
            (int) p[3], p[4] != 0, true);
        assertSame(RoiGoldens.floats(c, "grad_input"), grad.toFloatArray(), c + " grad_input on " + d);
      }
    }
  }

  /**
   * The fast atomicAdd backward sums in whatever order the threads reach the atomics, so its float bits
   * legitimately vary with the schedule (on a GPU too): the simulator runs it under one schedule only
   * (its default would compare two schedules bitwise and reject it), and the result is compared with a
   * tolerance.
   */
  @Test
  void atomicBackwardOnTheSimulatorMatchesWithinTolerance() {
    Devices.assumeUsable(Device.CUDA_SIM);
    SimDriver sim = SimDriver.open();
    SimOptions saved = sim.options();
    sim.setOptions(saved.withSchedules(SimOptions.Schedule.FORWARD));
    try {
      for (String c : RoiGoldens.cases("roi_align_")) {
        float[] p = params(c);
        try (Scope s = Scope.open()) {
          Tensor boxes = RoiGoldens.load(c, "boxes", Device.CUDA_SIM);
          Tensor grad = Roi.roiAlignBackward(RoiGoldens.load(c, "grad_output", Device.CUDA_SIM), boxes,
              RoiGoldens.shape(c, "input"), p[2], (int) p[3], p[4] != 0, false);
          assertClose(RoiGoldens.floats(c, "grad_input"), grad.toFloatArray(), 1e-5f, 1e-6f, c + " atomic grad");
        }
      }
    } finally {
      sim.setOptions(saved);
    }
  }

  /** On a real GPU the atomic backward runs as it is; skipped with a printed reason where there is none. */
  @Test
  void atomicBackwardOnGpuMatchesWithinTolerance() {
    Device d = Device.CUDA;
    Devices.assumeUsable(d);
    String c = "roi_align_batch3_c7";
    float[] p = params(c);
    try (Scope s = Scope.open()) {
      Tensor grad = Roi.roiAlignBackward(RoiGoldens.load(c, "grad_output", d), RoiGoldens.load(c, "boxes", d),
          RoiGoldens.shape(c, "input"), p[2], (int) p[3], p[4] != 0, false);
      assertClose(RoiGoldens.floats(c, "grad_input"), grad.toFloatArray(), 1e-5f, 1e-6f, c + " atomic grad");
    }
  }

  /** A scaled-down detector workload: many overlapping RoIs, so many shares land on the same pixels. */
  static float[][] crowded(Random rnd, int n, int c, int h, int w, int k, float scale) {
    float[] input = new float[n * c * h * w];
    for (int i = 0; i < input.length; i++) {
      input[i] = (float) rnd.nextGaussian();
    }
    float[] boxes = new float[k * 5];
    float imgH = h / scale;
    float imgW = w / scale;
    for (int i = 0; i < k; i++) {
      float bw = 4 + rnd.nextFloat() * imgW * 0.6f;
      float bh = 4 + rnd.nextFloat() * imgH * 0.6f;
      float x = rnd.nextFloat() * (imgW - bw * 0.5f) - bw * 0.25f;
      float y = rnd.nextFloat() * (imgH - bh * 0.5f) - bh * 0.25f;
      boxes[5 * i] = rnd.nextInt(n);
      boxes[5 * i + 1] = x;
      boxes[5 * i + 2] = y;
      boxes[5 * i + 3] = x + bw;
      boxes[5 * i + 4] = y + bh;
    }
    return new float[][] {input, boxes};
  }

  /**
   * The deterministic CUDA backward: identical bits on two runs (each launch also ran under two thread
   * schedules in the simulator) and equal to the CPU's gradient, for crowded RoIs, both alignments and
   * both sampling modes, with channels that do not fill the 8-channel chunks.
   */
  @ParameterizedTest
  @MethodSource("devices")
  void deterministicBackwardIsReproducibleAndEqualsTheCpu(Device d) {
    Devices.assumeUsable(d);
    Random rnd = new Random(11);
    int n = 2, c = 11, h = 37, w = 45, k = 90;
    float[][] data = crowded(rnd, n, c, h, w, k, 0.25f);
    float[] gradOut = new float[k * c * 7 * 5];
    for (int i = 0; i < gradOut.length; i++) {
      gradOut[i] = (float) rnd.nextGaussian();
    }
    long[] shape = {n, c, h, w};
    for (boolean aligned : new boolean[] {true, false}) {
      for (int sampling : new int[] {2, 0}) {
        try (Scope s = Scope.open()) {
          Tensor cpuBoxes = Tensor.of(data[1], k, 5);
          float[] cpu = Roi.roiAlignBackward(Tensor.of(gradOut, k, c, 7, 5), cpuBoxes, shape, 0.25f, sampling, aligned,
              true).toFloatArray();
          Tensor boxes = Tensor.of(d, data[1], k, 5);
          Tensor g = Tensor.of(d, gradOut, k, c, 7, 5);
          float[] first = Roi.roiAlignBackward(g, boxes, shape, 0.25f, sampling, aligned, true).toFloatArray();
          float[] second = Roi.roiAlignBackward(g, boxes, shape, 0.25f, sampling, aligned, true).toFloatArray();
          String what = d + " aligned=" + aligned + " sampling=" + sampling;
          assertBits(first, second, what + ": run 1 vs run 2");
          assertSame(cpu, first, what + ": vs CPU");
          double norm = 0;
          for (float v : first) {
            norm += Math.abs(v);
          }
          assertTrue(norm > 1, "the gradient is not trivially zero");
          Tensor out = Roi.roiAlign(Tensor.of(d, data[0], shape), boxes, new int[] {7, 5}, 0.25f, sampling, aligned);
          assertSame(Roi.roiAlign(Tensor.of(data[0], shape), cpuBoxes, new int[] {7, 5}, 0.25f, sampling, aligned)
              .toFloatArray(), out.toFloatArray(), what + ": forward vs CPU");
        }
      }
    }
  }

  /**
   * The CPU backend has two paths (channels-last blocks of 32 channels when RoIs sample the map
   * densely, plane by plane otherwise): a sparse call (few small RoIs on a large map) and a dense one,
   * both against the simulator's kernels, which share no code path with either.
   */
  @Test
  void sparseAndDenseCpuPathsEqualTheKernels() {
    Devices.assumeUsable(Device.CUDA_SIM);
    Random rnd = new Random(14);
    for (int k : new int[] {2, 120}) {
      float[][] data = crowded(rnd, 1, 35, 64, 64, k, 1f);
      if (k == 2) {  // two small boxes: a few hundred samples on a 4096-pixel map
        data[1] = new float[] {0, 3.2f, 5.1f, 9.7f, 8.8f, 0, 40.5f, 30.2f, 47.1f, 41.9f};
      }
      float[] g = new float[k * 35 * 9];
      for (int i = 0; i < g.length; i++) {
        g[i] = (float) rnd.nextGaussian();
      }
      long[] shape = {1, 35, 64, 64};
      try (Scope s = Scope.open()) {
        for (Device d : new Device[] {Device.CPU, Device.CUDA_SIM}) {
          Tensor b = Tensor.of(d, data[1], k, 5);
          float[] out = Roi.roiAlign(Tensor.of(d, data[0], shape), b, new int[] {3, 3}, 1f, 0, true).toFloatArray();
          float[] grad = Roi.roiAlignBackward(Tensor.of(d, g, k, 35, 3, 3), b, shape, 1f, 0, true, true).toFloatArray();
          if (d == Device.CPU) {
            cpuOut = out;
            cpuGrad = grad;
          } else {
            assertSame(cpuOut, out, k + " RoIs: forward");
            assertSame(cpuGrad, grad, k + " RoIs: backward");
          }
        }
      }
    }
  }

  private float[] cpuOut;
  private float[] cpuGrad;

  /** The CPU result does not depend on the number of OpenMP threads (threads own whole planes). */
  @Test
  void cpuBackwardDoesNotDependOnThreadSplit() {
    Random rnd = new Random(12);
    // one image, one channel: a single work unit (one thread), against 9 channels (several units)
    float[][] data = crowded(rnd, 1, 9, 30, 30, 50, 0.5f);
    float[] g = new float[50 * 9 * 4];
    for (int i = 0; i < g.length; i++) {
      g[i] = (float) rnd.nextGaussian();
    }
    try (Scope s = Scope.open()) {
      Tensor boxes = Tensor.of(data[1], 50, 5);
      float[] all = Roi.roiAlignBackward(Tensor.of(g, 50, 9, 2, 2), boxes, new long[] {1, 9, 30, 30}, 0.5f, 2, true,
          true).toFloatArray();
      for (int ch = 0; ch < 9; ch++) {
        float[] gc = new float[50 * 4];
        for (int r = 0; r < 50; r++) {
          System.arraycopy(g, (r * 9 + ch) * 4, gc, r * 4, 4);
        }
        float[] one = Roi.roiAlignBackward(Tensor.of(gc, 50, 1, 2, 2), boxes, new long[] {1, 1, 30, 30}, 0.5f, 2, true,
            true).toFloatArray();
        float[] slice = new float[900];
        System.arraycopy(all, ch * 900, slice, 0, 900);
        assertBits(one, slice, "channel " + ch);
      }
    }
  }

  /**
   * Inputs outside what torchvision defines: NaN and infinite coordinates, and degenerate boxes with
   * adaptive sampling when aligned (torchvision 0.14 throws "cannot create std::vector larger than
   * max_size()" for those). detseg gives 0 for every such RoI, reads nothing outside the map, and the
   * gradient of those RoIs is 0.
   */
  @ParameterizedTest
  @MethodSource("devices")
  void undefinedBoxesGiveZerosNotCrashes(Device d) {
    Devices.assumeUsable(d);
    float nan = Float.NaN;
    float inf = Float.POSITIVE_INFINITY;
    float[] boxes = {
        0, nan, 1, 5, 5,
        0, 1, 1, inf, 5,
        0, -inf, -inf, inf, inf,
        0, 6, 2, 3, 7,        // x2 < x1: with aligned + adaptive the grid is empty
        0, 1e30f, 1e30f, 2e30f, 2e30f,
        0, 1, 1, 6, 6};       // an ordinary box, for contrast
    float[] input = new float[2 * 8 * 8];
    for (int i = 0; i < input.length; i++) {
      input[i] = 1 + i % 7;
    }
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(d, input, 1, 2, 8, 8);
      Tensor b = Tensor.of(d, boxes, 6, 5);
      for (int sampling : new int[] {0, 2}) {
        float[] out = Roi.roiAlign(x, b, new int[] {2, 2}, 1f, sampling, true).toFloatArray();
        for (int r = 0; r < 5; r++) {
          for (int i = 0; i < 8; i++) {
            if (!(r == 3 && sampling > 0)) {  // x2 < x1 with a fixed grid samples (torchvision does too)
              assertEquals(0f, out[r * 8 + i], "RoI " + r + " sampling " + sampling + " element " + i);
            }
          }
        }
        assertTrue(out[5 * 8] > 0, "the ordinary box pools something");
        float[] ones = new float[6 * 2 * 4];
        java.util.Arrays.fill(ones, 1f);
        float[] grad = Roi.roiAlignBackward(Tensor.of(d, ones, 6, 2, 2, 2), b, x.shape(), 1f, sampling, true, true)
            .toFloatArray();
        float sum = 0;
        for (float v : grad) {
          assertTrue(Float.isFinite(v));
          sum += v;
        }
        assertTrue(sum > 0);
      }
    }
  }

  /** MultiScaleRoIAlign goldens: 4 FPN levels (one box with a NaN level, one of zero area), and one level. */
  @ParameterizedTest
  @MethodSource("devices")
  void multiScaleMatchesTorchvision(Device d) {
    Devices.assumeUsable(d);
    for (String c : RoiGoldens.cases("msra_")) {
      float[] p = params(c);
      int levels = (int) p[7];
      try (Scope s = Scope.open()) {
        List<Tensor> feats = new ArrayList<>();
        for (int l = 0; l < levels; l++) {
          feats.add(RoiGoldens.load(c, "feature_" + l, d));
        }
        Tensor boxes = RoiGoldens.load(c, "boxes", d);
        int[] size = {(int) p[0], (int) p[1]};
        int[] image = {(int) p[3], (int) p[4]};
        Tensor out = Roi.multiScaleRoiAlign(feats, boxes, size, (int) p[2], image, (int) p[5], (int) p[6], false);
        assertSame(RoiGoldens.floats(c, "output"), out.toFloatArray(), c + " output on " + d);
        float[] scales = Roi.inferScales(feats, image);
        List<Tensor> grads = Roi.multiScaleRoiAlignBackward(RoiGoldens.load(c, "grad_output", d), feats, boxes, scales,
            (int) p[2], (int) p[5], (int) p[6], false, true);
        for (int l = 0; l < levels; l++) {
          assertSame(RoiGoldens.floats(c, "grad_feature_" + l), grads.get(l).toFloatArray(),
              c + " grad of level " + l + " on " + d);
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void fpnLevelsMatchTorchvisionLevelMapper(Device d) {
    Devices.assumeUsable(d);
    float[] p = params("fpn_levels");
    assertEquals(2f, p[0]);
    assertEquals(5f, p[1]);
    try (Scope s = Scope.open()) {
      Tensor boxes = RoiGoldens.load("fpn_levels", "boxes", d);
      int[] got = Roi.fpnLevels(boxes, new float[] {0.25f, 0.125f, 0.0625f, 0.03125f}, (int) p[2], (int) p[3])
          .toIntArray();
      assertArrayEquals(RoiGoldens.ints("fpn_levels", "levels"), got);
    }
  }

  @Test
  void scalesAreInferredLikeTorchvision() {
    try (Scope s = Scope.open()) {
      List<Tensor> feats = List.of(Tensor.zeros(Device.CPU, io.detseg.tensor.DType.FLOAT32, 1, 1, 200, 272),
          Tensor.zeros(Device.CPU, io.detseg.tensor.DType.FLOAT32, 1, 1, 100, 136),
          Tensor.zeros(Device.CPU, io.detseg.tensor.DType.FLOAT32, 1, 1, 50, 68),
          Tensor.zeros(Device.CPU, io.detseg.tensor.DType.FLOAT32, 1, 1, 25, 34));
      assertArrayEquals(new float[] {0.25f, 0.125f, 0.0625f, 0.03125f}, Roi.inferScales(feats, new int[] {800, 1088}));
      // 13 / 800 rounds to 2^-6 (log2 = -5.94)
      assertArrayEquals(new float[] {0.015625f},
          Roi.inferScales(List.of(Tensor.zeros(Device.CPU, io.detseg.tensor.DType.FLOAT32, 1, 1, 13, 17)),
              new int[] {800, 1088}));
    }
  }

  /** Multi-level output equals one roi_align per RoI on the level LevelMapper picks (RoI order kept). */
  @ParameterizedTest
  @MethodSource("devices")
  void multiScaleEqualsRoiAlignOnTheChosenLevel(Device d) {
    Devices.assumeUsable(d);
    Random rnd = new Random(13);
    int c = 3;
    int[][] sizes = {{40, 48}, {20, 24}, {10, 12}};
    float[] scales = {0.25f, 0.125f, 0.0625f};
    try (Scope s = Scope.open()) {
      List<Tensor> feats = new ArrayList<>();
      List<Tensor> cpuFeats = new ArrayList<>();
      for (int[] hw : sizes) {
        float[] v = new float[2 * c * hw[0] * hw[1]];
        for (int i = 0; i < v.length; i++) {
          v[i] = (float) rnd.nextGaussian();
        }
        feats.add(Tensor.of(d, v, 2, c, hw[0], hw[1]));
        cpuFeats.add(Tensor.of(v, 2, c, hw[0], hw[1]));
      }
      int k = 30;
      float[] boxes = new float[5 * k];
      for (int i = 0; i < k; i++) {
        float side = 3 + rnd.nextFloat() * 150;
        boxes[5 * i] = rnd.nextInt(2);
        boxes[5 * i + 1] = rnd.nextFloat() * 100;
        boxes[5 * i + 2] = rnd.nextFloat() * 100;
        boxes[5 * i + 3] = boxes[5 * i + 1] + side;
        boxes[5 * i + 4] = boxes[5 * i + 2] + side * (0.5f + rnd.nextFloat());
      }
      Tensor b = Tensor.of(d, boxes, k, 5);
      float[] out = Roi.multiScaleRoiAlignWithScales(feats, b, new int[] {2, 3}, scales, 2, 64, 4, true)
          .toFloatArray();
      int[] lv = Roi.fpnLevels(Tensor.of(boxes, k, 5), scales, 64, 4).toIntArray();
      int per = c * 6;
      boolean[] seen = new boolean[3];
      for (int i = 0; i < k; i++) {
        float[] one = new float[5];
        System.arraycopy(boxes, 5 * i, one, 0, 5);
        seen[lv[i]] = true;
        float[] ref = Roi.roiAlign(cpuFeats.get(lv[i]), Tensor.of(one, 1, 5), new int[] {2, 3}, scales[lv[i]], 2, true)
            .toFloatArray();
        float[] got = new float[per];
        System.arraycopy(out, i * per, got, 0, per);
        assertSame(ref, got, "RoI " + i + " at level " + lv[i]);
      }
      assertTrue(seen[0] && seen[1] && seen[2], "boxes cover every level");
    }
  }

  /** Registry: `detseg op roi_align` runs forward and backward with PyTorch's names and defaults. */
  @Test
  void registeredOpsRunThroughTheRegistry() {
    var spec = io.detseg.ops.registry.OpRegistry.get("roi_align");
    String c = "roi_align_batch3_c7";
    try (Scope s = Scope.open()) {
      var in = new java.util.LinkedHashMap<String, Tensor>();
      in.put("input", RoiGoldens.load(c, "input", Device.CPU));
      in.put("boxes", RoiGoldens.load(c, "boxes", Device.CPU));
      var params = spec.params(java.util.Map.of("output_size", "5,3", "spatial_scale", "0.25", "sampling_ratio", "2",
          "aligned", "true"));
      var out = spec.forward().apply(in, params);
      assertSame(RoiGoldens.floats(c, "output"), out.get("output").toFloatArray(), "registry forward");
      var grads = spec.backward().apply(in, params, out,
          java.util.Map.of("output", RoiGoldens.load(c, "grad_output", Device.CPU)));
      assertSame(RoiGoldens.floats(c, "grad_input"), grads.get("input").toFloatArray(), "registry backward");
      for (String name : List.of("roi_pool", "multi_scale_roi_align", "onnx_roi_align")) {
        assertNotEquals(null, io.detseg.ops.registry.OpRegistry.get(name));
      }
    }
  }
}
