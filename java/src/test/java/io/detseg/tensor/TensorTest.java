package io.detseg.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.Devices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class TensorTest {
  static java.util.stream.Stream<Device> devices() {
    return Devices.all();
  }

  @ParameterizedTest
  @MethodSource("devices")
  void floatsIntsAndBytesRoundTripThroughEveryDevice(Device d) {
    Devices.assumeUsable(d);
    float[] f = {1.5f, -2f, Float.NaN, Float.NEGATIVE_INFINITY, 0f, -0f};
    int[] i = {Integer.MIN_VALUE, -1, 0, 7, Integer.MAX_VALUE, 42};
    byte[] b = {0, 1, (byte) 255, (byte) 128, 5, 6};
    try (Tensor tf = Tensor.of(d, f, 2, 3); Tensor ti = Tensor.of(d, i, 3, 2); Tensor tb = Tensor.ofBytes(d, b, 6)) {
      assertArrayEquals(f, tf.toFloatArray());
      assertArrayEquals(i, ti.toIntArray());
      assertArrayEquals(b, tb.toByteArray());
      assertEquals(d, tf.device());
      assertArrayEquals(new long[] {2, 3}, tf.shape());
      assertEquals(DType.INT32, ti.dtype());
    }
  }

  @Test
  void movingBetweenDevicesIsAnExplicitCopy() {
    Devices.assumeUsable(Device.CUDA_SIM);
    float[] data = new float[1000];
    for (int k = 0; k < data.length; k++) {
      data[k] = k * 0.5f;
    }
    try (Tensor cpu = Tensor.of(data, 10, 100); Tensor sim = cpu.to(Device.CUDA_SIM); Tensor back = sim.to(Device.CPU);
         Tensor copy = sim.to(Device.CUDA_SIM)) {
      assertEquals(Device.CUDA_SIM, sim.device());
      assertArrayEquals(data, back.toFloatArray());
      assertArrayEquals(data, copy.toFloatArray());
      assertTrue(copy.address() != sim.address(), "to(same device) must copy");
    }
  }

  @Test
  void reshapeSharesMemoryAndKeepsItAliveUntilTheLastViewCloses() {
    long before = Storage.liveCount();
    Tensor t = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
    Tensor v = t.reshape(3, 2);
    assertEquals(t.address(), v.address());
    t.close();
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, v.toFloatArray());
    assertEquals(before + 1, Storage.liveCount());
    v.close();
    assertEquals(before, Storage.liveCount());
    assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[6]).reshape(4, 2));
  }

  @Test
  void zerosAndEmptyShapes() {
    try (Tensor z = Tensor.zeros(Device.CPU, DType.FLOAT32, 3, 0, 2); Tensor s = Tensor.zeros(Device.CPU, DType.INT32, 4)) {
      assertEquals(0, z.numel());
      assertEquals(0, z.toFloatArray().length);
      assertArrayEquals(new int[4], s.toIntArray());
    }
  }

  @Test
  void badShapesAndUseAfterCloseAreClearErrors() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[5], 2, 3));
    assertTrue(e.getMessage().contains("Tensor.of") && e.getMessage().contains("5"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Tensor.empty(Device.CPU, DType.FLOAT32, 2, -1));
    assertTrue(e.getMessage().contains("non-negative"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Tensor.empty(Device.CPU, DType.FLOAT32, Long.MAX_VALUE / 2, 4));
    assertTrue(e.getMessage().contains("overflows"), e.getMessage());
    Tensor t = Tensor.of(new float[] {1});
    t.close();
    t.close(); // idempotent
    IllegalStateException s = assertThrows(IllegalStateException.class, t::toFloatArray);
    assertTrue(s.getMessage().contains("closed"), s.getMessage());
    try (Tensor i = Tensor.of(new int[] {1})) {
      e = assertThrows(IllegalArgumentException.class, i::toFloatArray);
      assertTrue(e.getMessage().contains("expected a float32 tensor but got int32"), e.getMessage());
    }
  }

  @Test
  void tensorsOverTwoBillionElementsAreCountedIn64Bits() {
    // No allocation: the shape math alone must not wrap around.
    long[] shape = {3, 1 << 30};
    assertEquals(3L << 30, Shapes.numel(shape));
    assertEquals(12L << 30, Shapes.byteSize(shape, DType.FLOAT32));
  }
}
