package io.detseg.ops;

import static io.detseg.ops.RoiGoldens.assertBits;
import static io.detseg.ops.RoiGoldens.assertClose;
import static io.detseg.ops.RoiGoldens.assertSame;
import static io.detseg.ops.RoiGoldens.assertShape;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.detseg.Devices;
import io.detseg.backend.cuda.SimDriver;
import io.detseg.backend.cuda.SimOptions;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** roi_pool against torchvision 0.14 goldens on every backend, and both CUDA backward modes. */
class RoiPoolTest {
  static Stream<Device> devices() {
    return Devices.all();
  }

  @ParameterizedTest
  @MethodSource("devices")
  void matchesTorchvisionExactly(Device d) {
    Devices.assumeUsable(d);
    for (String c : RoiGoldens.cases("roi_pool_")) {
      float[] p = RoiGoldens.floats(c, "params");
      try (Scope s = Scope.open()) {
        Tensor input = RoiGoldens.load(c, "input", d);
        Tensor boxes = RoiGoldens.load(c, "boxes", d);
        Roi.PoolResult r = Roi.roiPool(input, boxes, new int[] {(int) p[0], (int) p[1]}, p[2]);
        assertShape(RoiGoldens.shape(c, "output"), r.output(), c);
        assertSame(RoiGoldens.floats(c, "output"), r.output().toFloatArray(), c + " output on " + d);
        assertArrayEquals(RoiGoldens.ints(c, "argmax"), r.argmax().toIntArray(), c + " argmax on " + d);
        Tensor grad = Roi.roiPoolBackward(RoiGoldens.load(c, "grad_output", d), boxes, r.argmax(), input.shape(), p[2],
            true);
        assertSame(RoiGoldens.floats(c, "grad_input"), grad.toFloatArray(), c + " grad_input on " + d);
      }
    }
  }

  /** Float atomics: schedule-dependent bits, so one schedule in the simulator and a tolerance (see RoiAlignTest). */
  @Test
  void atomicBackwardOnTheSimulatorMatchesWithinTolerance() {
    Devices.assumeUsable(Device.CUDA_SIM);
    SimDriver sim = SimDriver.open();
    SimOptions saved = sim.options();
    sim.setOptions(saved.withSchedules(SimOptions.Schedule.FORWARD));
    try {
      for (String c : RoiGoldens.cases("roi_pool_")) {
        float[] p = RoiGoldens.floats(c, "params");
        try (Scope s = Scope.open()) {
          Tensor grad = Roi.roiPoolBackward(RoiGoldens.load(c, "grad_output", Device.CUDA_SIM),
              RoiGoldens.load(c, "boxes", Device.CUDA_SIM), RoiGoldens.load(c, "argmax", Device.CUDA_SIM),
              RoiGoldens.shape(c, "input"), p[2], false);
          assertClose(RoiGoldens.floats(c, "grad_input"), grad.toFloatArray(), 1e-5f, 1e-6f, c + " atomic grad");
        }
      }
    } finally {
      sim.setOptions(saved);
    }
  }

  /** Crowded, overlapping RoIs: the gather backward repeats bit for bit and equals the CPU's. */
  @ParameterizedTest
  @MethodSource("devices")
  void deterministicBackwardIsReproducibleAndEqualsTheCpu(Device d) {
    Devices.assumeUsable(d);
    Random rnd = new Random(21);
    int n = 2, c = 10, h = 33, w = 41, k = 80;
    float[][] data = RoiAlignTest.crowded(rnd, n, c, h, w, k, 0.5f);
    long[] shape = {n, c, h, w};
    float[] g = new float[k * c * 4 * 6];
    for (int i = 0; i < g.length; i++) {
      g[i] = (float) rnd.nextGaussian();
    }
    try (Scope s = Scope.open()) {
      Roi.PoolResult cpu = Roi.roiPool(Tensor.of(data[0], shape), Tensor.of(data[1], k, 5), new int[] {4, 6}, 0.5f);
      float[] cpuGrad = Roi.roiPoolBackward(Tensor.of(g, k, c, 4, 6), Tensor.of(data[1], k, 5), cpu.argmax(), shape,
          0.5f, true).toFloatArray();
      Tensor boxes = Tensor.of(d, data[1], k, 5);
      Roi.PoolResult dev = Roi.roiPool(Tensor.of(d, data[0], shape), boxes, new int[] {4, 6}, 0.5f);
      assertSame(cpu.output().toFloatArray(), dev.output().toFloatArray(), "forward on " + d);
      assertArrayEquals(cpu.argmax().toIntArray(), dev.argmax().toIntArray(), "argmax on " + d);
      Tensor gd = Tensor.of(d, g, k, c, 4, 6);
      float[] first = Roi.roiPoolBackward(gd, boxes, dev.argmax(), shape, 0.5f, true).toFloatArray();
      float[] second = Roi.roiPoolBackward(gd, boxes, dev.argmax(), shape, 0.5f, true).toFloatArray();
      assertBits(first, second, d + ": run 1 vs run 2");
      assertSame(cpuGrad, first, d + ": vs CPU");
    }
  }

  /** NaN coordinates give empty bins (0, argmax -1) rather than torchvision's undefined int conversion. */
  @ParameterizedTest
  @MethodSource("devices")
  void nanBoxesGiveEmptyBins(Device d) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      float[] input = new float[16];
      for (int i = 0; i < 16; i++) {
        input[i] = i + 1;
      }
      Roi.PoolResult r = Roi.roiPool(Tensor.of(d, input, 1, 1, 4, 4),
          Tensor.of(d, new float[] {0, Float.NaN, 0, 3, 3, 0, 0, 0, 1e20f, 1e20f}, 2, 5), new int[] {1, 1}, 1f);
      assertEquals(0f, r.output().toFloatArray()[0]);
      assertEquals(-1, r.argmax().toIntArray()[0]);
      assertEquals(16f, r.output().toFloatArray()[1], "a huge box covers the map: its max is the last pixel");
      assertEquals(15, r.argmax().toIntArray()[1]);
    }
  }
}
