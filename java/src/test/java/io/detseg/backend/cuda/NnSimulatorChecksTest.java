package io.detseg.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.detseg.Devices;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The nn kernels under the simulator's strictest checks: every launch with blocks run one at a time
 * and global memory diffed after each (racecheck_global: no word written by two blocks without an
 * atomic), on top of the default two-schedule comparison; and the same results under a shuffled
 * schedule with another block order. Covers the tiled pooling kernel, the gather backwards, the batch
 * norm reductions, max unpooling with duplicate indices (integer atomics) and the copies.
 */
class NnSimulatorChecksTest {
  private SimOptions saved;

  @BeforeEach
  void open() {
    Devices.assumeUsable(Device.CUDA_SIM);
    saved = SimDriver.open().options();
  }

  @AfterEach
  void restore() {
    if (saved != null) {
      SimDriver.open().setOptions(saved);
    }
  }

  static float[] gaussian(int n, long seed) {
    Random r = new Random(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian();
    }
    return a;
  }

  /** Runs every nn kernel family once and returns all results, flattened. */
  static float[] workload() {
    try (Scope s = Scope.open()) {
      Device d = Device.CUDA_SIM;
      Tensor x = Tensor.of(d, gaussian(2 * 3 * 19 * 41, 1), 2, 3, 19, 41);
      Pooling.Spec spec = Pooling.Spec.torch("t", new int[] {3}, new int[] {2}, new int[] {1}, null, true);
      Pooling.WithIndices mp = Pooling.maxPool2d(x, spec);
      Tensor gmp = Pooling.maxPool2dBackward(mp.output(), x, spec, mp.indices());
      Tensor ap = Pooling.avgPool2dBackward(Pooling.avgPool2d(x, spec, true, 0), x, spec, true, 0);
      Tensor glob = Pooling.globalMaxPool2d(x).output();
      // duplicate indices: both windows of each pair point at the same element
      Tensor dup = Tensor.of(d, new int[] {3, 3, 0, 7, 7, 7}, 1, 1, 2, 3);
      Tensor up = Pooling.maxUnpool2d(Tensor.of(d, gaussian(6, 2), 1, 1, 2, 3), dup, 4, 4);
      Tensor rs = Resize.interpolateBackward(Resize.interpolate(x, new long[] {33, 70}, null, "bicubic", false, null),
          x, new long[] {33, 70}, null, "bicubic", false, null);
      BatchNorm.Result bn = BatchNorm.batchNorm(x, null, null, null, null, true, 0.1f, 1e-5f);
      BatchNorm.Grads bg = BatchNorm.batchNormBackward(bn.output(), x, null, null, null, bn.saveMean(),
          bn.saveInvstd(), true, 1e-5f);
      Tensor pad = Padding.padBackward(Padding.pad(x, new int[] {5, 7, 3, 2}, "reflect", 0f), x,
          new int[] {5, 7, 3, 2}, "reflect");
      List<Tensor> parts = List.of(mp.output(), gmp, ap, glob, up, rs, bn.output(), bg.gradInput(), bg.gradWeight(),
          pad);
      List<Tensor> flat = parts.stream().map(t -> t.reshape(t.numel())).toList();
      return Concat.cat(flat, 0).toFloatArray();
    }
  }

  @Test
  void noInterBlockRacesAndScheduleIndependent() {
    SimDriver.open().setOptions(saved.withRacecheckGlobal(true));
    float[] strict = workload();
    SimDriver.open().setOptions(SimOptions.strict().withSchedules(SimOptions.Schedule.SHUFFLED).withSeed(12345));
    float[] shuffled = workload();
    assertArrayEquals(strict, shuffled, "results depend on the schedule or the block order");
  }
}
