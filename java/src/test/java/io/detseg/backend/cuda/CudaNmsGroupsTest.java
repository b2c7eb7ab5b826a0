package io.detseg.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.Devices;
import io.detseg.ops.Nms;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * ONNX NonMaxSuppression on the CUDA path when the bitmask budget splits the (batch, class) segments
 * into several pipeline runs (groups that start in the middle of a batch): same triples as the CPU.
 */
class CudaNmsGroupsTest {
  @AfterEach
  void restore() {
    CudaNmsKernels.setMaskBudgetForTests(CudaNmsKernels.DEFAULT_MASK_BUDGET);
  }

  @Test
  void segmentsInSeveralGroupsMatchTheCpu() {
    Devices.assumeUsable(Device.CUDA_SIM);
    Random rnd = new Random(42);
    int batches = 3, classes = 5, n = 300;
    float[] b = new float[batches * n * 4];
    for (int i = 0; i < batches * n; i++) {
      float xc = rnd.nextFloat() * 200, yc = rnd.nextFloat() * 200;
      b[4 * i] = xc;
      b[4 * i + 1] = yc;
      b[4 * i + 2] = 10 + rnd.nextFloat() * 40;
      b[4 * i + 3] = 10 + rnd.nextFloat() * 40;
    }
    float[] s = new float[batches * classes * n];
    for (int i = 0; i < s.length; i++) {
      s[i] = rnd.nextFloat();
    }
    long perSegment = (long) n * ((n + 63) / 64) * 8;
    CudaNmsKernels.setMaskBudgetForTests(2 * perSegment);  // groups of 2 segments: 8 runs, most mid-batch
    try (Scope scope = Scope.open()) {
      int[] cpu = Nms.onnxNonMaxSuppression(Tensor.of(b, batches, n, 4), Tensor.of(s, batches, classes, n), 1, 40,
          0.45f, 0.2f).toIntArray();
      int[] sim = Nms.onnxNonMaxSuppression(Tensor.of(Device.CUDA_SIM, b, batches, n, 4),
          Tensor.of(Device.CUDA_SIM, s, batches, classes, n), 1, 40, 0.45f, 0.2f).toIntArray();
      assertTrue(cpu.length > 3 * batches * classes * 10, "expected many selections, got " + cpu.length / 3);
      assertArrayEquals(cpu, sim);
    }
  }
}
