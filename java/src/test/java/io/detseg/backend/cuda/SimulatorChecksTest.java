package io.detseg.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.backend.Backends;
import io.detseg.tensor.DType;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The simulator's checks seen from Java, through the same CudaBackend → SimDriver path the ops take:
 * planted bugs (kernels/testing/sim_planted_bugs.cu) must surface as CudaExceptions naming the kernel,
 * and the fixed kernels must pass. native/tests covers the same checks in depth.
 */
class SimulatorChecksTest {
  private CudaBackend sim;
  private SimOptions saved;

  @BeforeEach
  void open() {
    sim = (CudaBackend) Backends.get(Device.CUDA_SIM);
    saved = SimDriver.open().options();
  }

  @AfterEach
  void restore() {
    SimDriver.open().setOptions(saved);
  }

  private static Tensor iota(int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = i;
    }
    return Tensor.of(Device.CUDA_SIM, v);
  }

  @Test
  void missingSyncthreadsIsCaughtByTheScheduleComparison() {
    SimDriver.open().setOptions(SimOptions.strict());
    try (Scope s = Scope.open()) {
      Tensor in = iota(512);
      Tensor out = Tensor.zeros(Device.CUDA_SIM, DType.FLOAT32, 512);
      KernelArgs args = new KernelArgs().pointer(in.address()).pointer(out.address());
      CudaException e = assertThrows(CudaException.class,
          () -> sim.launch("simtest_bug_missing_sync", Dim3.of(2), Dim3.of(256), 0, args));
      assertTrue(e.getMessage().contains("simtest_bug_missing_sync"), e.getMessage());
      sim.launch("simtest_fixed_missing_sync", Dim3.of(2), Dim3.of(256), 0, args);
      float[] got = out.toFloatArray();
      assertEquals(255f, got[0]);
      assertEquals(256f + 255f, got[256]);
    }
  }

  @Test
  void anOutOfBoundsWriteIsReportedNotSilent() {
    try (Tensor out = Tensor.zeros(Device.CUDA_SIM, DType.FLOAT32, 100)) {
      CudaException e = assertThrows(CudaException.class, () -> sim.launch("simtest_bug_oob_write", Dim3.of(1),
          Dim3.of(128), 0, new KernelArgs().pointer(out.address()).i32(100)));
      assertTrue(e.getMessage().contains("simtest_bug_oob_write") && e.getMessage().contains("out of bounds"),
          e.getMessage());
    }
  }

  @Test
  void aDivergentBarrierIsAnErrorNotAHang() {
    try (Tensor out = Tensor.zeros(Device.CUDA_SIM, DType.INT32, 64)) {
      CudaException e = assertThrows(CudaException.class, () -> sim.launch("simtest_bug_divergent_barrier",
          Dim3.of(1), Dim3.of(64), 0, new KernelArgs().pointer(out.address())));
      assertTrue(e.getMessage().contains("simtest_bug_divergent_barrier"), e.getMessage());
      assertTrue(e.getMessage().toLowerCase().contains("barrier"), e.getMessage());
    }
  }

  @Test
  void aNonAtomicCrossBlockAccumulationIsReportedByRacecheck() {
    SimDriver.open().setOptions(saved.withRacecheckGlobal(true));
    try (Scope s = Scope.open()) {
      Tensor in = iota(64 * 32);
      Tensor out = Tensor.zeros(Device.CUDA_SIM, DType.FLOAT32, 1);
      KernelArgs args = new KernelArgs().pointer(in.address()).pointer(out.address());
      CudaException e = assertThrows(CudaException.class,
          () -> sim.launch("simtest_bug_racy_accumulate", Dim3.of(64), Dim3.of(32), 0, args));
      assertTrue(e.getMessage().contains("race"), e.getMessage());
      Tensor fresh = Tensor.zeros(Device.CUDA_SIM, DType.FLOAT32, 1);
      sim.launch("simtest_atomic_accumulate", Dim3.of(64), Dim3.of(32), 0,
          new KernelArgs().pointer(in.address()).pointer(fresh.address()));
      assertEquals(64 * 32 * (64 * 32 - 1) / 2f, fresh.item());
    }
  }

  @Test
  void launchesBeyondHardwareLimitsAndBadArgumentsAreRejected() {
    try (Tensor out = Tensor.zeros(Device.CUDA_SIM, DType.FLOAT32, 4096)) {
      KernelArgs ok = new KernelArgs().pointer(out.address());
      CudaException tooMany = assertThrows(CudaException.class,
          () -> sim.launch("ds_test_two_barriers", Dim3.of(1), Dim3.of(1025), 0, ok));
      assertTrue(tooMany.getMessage().contains("ds_test_two_barriers"), tooMany.getMessage());
      assertThrows(CudaException.class, () -> sim.launch("ds_test_two_barriers", Dim3.of(1), Dim3.of(32), 64 * 1024, ok));
      CudaException args = assertThrows(CudaException.class, () -> sim.launch("ds_test_two_barriers", Dim3.of(1),
          Dim3.of(32), 0, new KernelArgs().pointer(out.address()).i32(3)));
      assertTrue(args.getMessage().contains("argument"), args.getMessage());
      CudaException unknown = assertThrows(CudaException.class,
          () -> sim.launch("no_such_kernel", Dim3.of(1), Dim3.of(32), 0, ok));
      assertTrue(unknown.getMessage().contains("no_such_kernel"), unknown.getMessage());
    }
  }

  @Test
  void twoBarrierLaunchAt4096x256GivesTheExpectedOutput() {
    SimDriver.open().setOptions(SimOptions.fast());
    try (Tensor out = Tensor.zeros(Device.CUDA_SIM, DType.FLOAT32, 4096)) {
      sim.launch("ds_test_two_barriers", Dim3.of(4096), Dim3.of(256), 0, new KernelArgs().pointer(out.address()));
      float[] expect = new float[4096];
      Arrays.fill(expect, 1f); // thread 0 ends up holding its right neighbour's index
      assertArrayEquals(expect, out.toFloatArray());
      long[] stats = SimDriver.open().lastLaunchStats();
      assertEquals(4096, stats[0], "blocks");
      assertEquals(4096L * 256, stats[1], "threads");
    }
  }

  @Test
  void kernelsOfTheModuleAreAllRegistered() {
    for (String k : new String[] {"ds_add_f32", "ds_reduce_sum_partial_f32", "ds_box_iou_f32"}) {
      assertTrue(SimDriver.open().kernelNames().contains(k), k);
    }
  }
}
