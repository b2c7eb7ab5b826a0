package io.detseg.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.Devices;
import io.detseg.backend.cuda.SimDriver;
import io.detseg.ops.Ops;
import java.lang.ref.WeakReference;
import org.junit.jupiter.api.Test;

class ScopeTest {
  @Test
  void scopeFreesTemporariesAndKeepMovesResultsOut() {
    long before = Storage.liveCount();
    Tensor kept;
    Tensor temp;
    try (Scope outer = Scope.open()) {
      try (Scope inner = Scope.open()) {
        temp = Tensor.of(new float[] {1, -2, 3});
        kept = inner.keep(Ops.relu(temp));
      }
      assertTrue(temp.isClosed());
      assertFalse(kept.isClosed());
      assertArrayEquals(new float[] {1, 0, 3}, kept.toFloatArray());
    }
    assertTrue(kept.isClosed(), "kept tensors belong to the enclosing scope");
    assertEquals(before, Storage.liveCount());
  }

  @Test
  void keepOfAForeignTensorAndOutOfOrderCloseAreErrors() {
    try (Tensor outside = Tensor.of(new float[] {1})) {
      Scope a = Scope.open();
      assertThrows(IllegalArgumentException.class, () -> a.keep(outside));
      Scope b = Scope.open();
      assertThrows(IllegalStateException.class, a::close);
      b.close();
      a.close();
    }
  }

  @Test
  void simulatedDeviceMemoryIsReturnedWhenTheScopeCloses() {
    Devices.assumeUsable(Device.CUDA_SIM);
    long sim = SimDriver.open().liveAllocations();
    long live = Storage.liveCount();
    try (Scope s = Scope.open()) {
      for (int i = 0; i < 50; i++) {
        Tensor x = Tensor.of(Device.CUDA_SIM, new float[] {i, -i, 2 * i});
        Ops.sum(Ops.mul(Ops.relu(x), x));
        Ops.max(x);
      }
    }
    assertEquals(sim, SimDriver.open().liveAllocations(), "device allocations leaked");
    assertEquals(live, Storage.liveCount());
  }

  @Test
  void theCleanerFreesTensorsNobodyClosed() throws InterruptedException {
    long cleaned = Storage.cleanerFrees();
    WeakReference<Tensor> ref = new WeakReference<>(Tensor.of(new float[1024]));
    for (int i = 0; i < 200 && (ref.get() != null || Storage.cleanerFrees() == cleaned); i++) {
      System.gc();
      Thread.sleep(10);
    }
    assertTrue(Storage.cleanerFrees() > cleaned, "the Cleaner did not free a forgotten tensor");
  }
}
