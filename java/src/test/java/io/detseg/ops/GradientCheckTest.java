package io.detseg.ops;

import io.detseg.Devices;
import io.detseg.tensor.Device;
import io.detseg.tensor.Tensor;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every backward of the first ops against finite differences, on every backend. */
class GradientCheckTest {
  static Stream<Device> devices() {
    return Devices.all();
  }

  // Inputs stay at least 0.1 away from relu's kink and from ties in max, where the derivative jumps.
  private static final float[] X = {0.7f, -1.3f, 2.1f, -0.4f, 1.9f, 0.3f, -2.2f, 1.1f, -0.9f, 0.5f, 2.6f, -0.2f};
  private static final long[] SHAPE = {3, 4};

  @ParameterizedTest
  @MethodSource("devices")
  void relu(Device d) {
    Devices.assumeUsable(d);
    GradCheck.check("relu", d, X.clone(), SHAPE, Ops::relu, Ops::reluBackward, 1e-2f, 1e-3f);
  }

  @ParameterizedTest
  @MethodSource("devices")
  void mulWithRespectToEachInput(Device d) {
    Devices.assumeUsable(d);
    float[] other = {1.5f, -0.5f, 2f, 3f, -1f, 0.25f, 4f, -2f, 0.5f, 1f, -3f, 2.5f};
    try (Tensor o = Tensor.of(d, other, SHAPE)) {
      GradCheck.check("mul", d, X.clone(), SHAPE, x -> Ops.mul(x, o), (g, x) -> Ops.mul(g, o), 1e-2f, 1e-3f);
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void add(Device d) {
    Devices.assumeUsable(d);
    try (Tensor o = Tensor.of(d, X.clone(), SHAPE)) {
      GradCheck.check("add", d, X.clone(), SHAPE, x -> Ops.add(x, o), (g, x) -> g.to(d), 1e-2f, 1e-3f);
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void sum(Device d) {
    Devices.assumeUsable(d);
    GradCheck.check("sum", d, X.clone(), SHAPE, Ops::sum, Ops::sumBackward, 1e-2f, 1e-3f);
  }

  @ParameterizedTest
  @MethodSource("devices")
  void max(Device d) {
    Devices.assumeUsable(d);
    GradCheck.check("max", d, X.clone(), SHAPE, Ops::max, (g, x) -> Ops.maxBackward(g, x, Ops.max(x)), 1e-2f, 1e-3f);
  }

  @ParameterizedTest
  @MethodSource("devices")
  void permute(Device d) {
    Devices.assumeUsable(d);
    GradCheck.check("permute", d, X.clone(), new long[] {2, 3, 2}, x -> Views.permute(x, 2, 0, 1),
        (g, x) -> Views.permute(g, Views.inverse(new int[] {2, 0, 1})), 1e-2f, 1e-3f);
  }
}
