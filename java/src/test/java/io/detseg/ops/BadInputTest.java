package io.detseg.ops;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.Devices;
import io.detseg.tensor.DType;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad calls fail in Java with a message naming the op, the argument, what was expected and what came. */
class BadInputTest {
  @Test
  void shapeDtypeAndDeviceMismatches() {
    Devices.assumeUsable(Device.CUDA_SIM);
    try (Scope s = Scope.open()) {
      Tensor a = Tensor.of(new float[6], 2, 3);
      Tensor b = Tensor.of(new float[6], 3, 2);
      Tensor i = Tensor.of(new int[6], 2, 3);
      Tensor sim = Tensor.of(Device.CUDA_SIM, new float[6], 2, 3);
      expect(() -> Ops.add(a, b), "add: argument 'other': expected shape [2, 3]", "but got [3, 2]");
      expect(() -> Ops.mul(a, i), "mul: argument 'other': expected dtype float32 but got int32");
      expect(() -> Ops.add(a, sim), "add: argument 'other': expected device cpu", "got cuda-sim");
      expect(() -> Ops.relu(i), "relu: argument 'input': expected dtype float32 but got int32");
      expect(() -> Ops.max(Tensor.of(new float[0], 0)), "max: argument 'input': expected at least one element");
      expect(() -> Ops.boxIou(Tensor.of(new float[6], 2, 3), a), "box_iou: argument 'boxes1': expected shape [N, 4]",
          "got [2, 3]");
      expect(() -> Ops.boxIou(Tensor.of(new float[4], 4), Tensor.of(new float[4], 1, 4)), "boxes1", "got [4]");
      expect(() -> Ops.sumBackward(a, a), "sum_backward: argument 'grad_output': expected a single element");
      expect(() -> Ops.add(null, a), "add: argument 'input': expected a tensor but got null");
      Tensor closed = Tensor.of(new float[6], 2, 3);
      closed.close();
      expect(() -> Ops.relu(closed), "relu: argument 'input': expected an open tensor");
      expect(() -> Tensor.empty(Device.CPU, DType.FLOAT32, 5, -1), "non-negative", "[5, -1]");
    }
  }

  private static void expect(Executable call, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
    }
  }
}
