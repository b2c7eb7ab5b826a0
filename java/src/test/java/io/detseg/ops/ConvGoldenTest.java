package io.detseg.ops;

import com.fasterxml.jackson.databind.JsonNode;
import io.detseg.Devices;
import io.detseg.tensor.Device;
import io.detseg.testing.ConvGoldenCases;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * matmul, linear, conv2d and conv_transpose2d against PyTorch 1.13 (tools/goldens/conv.py): the
 * forward and every gradient, on each backend, for every case of goldens/conv/cases.json (odd shapes:
 * non-square, stride > kernel, dilation with padding, groups and depthwise, output_padding and explicit
 * output sizes, asymmetric pads, channel counts off every tile, batch > 1, 1x1 maps).
 */
class ConvGoldenTest {
  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (Device d : Devices.all().toList()) {
      for (JsonNode c : ConvGoldenCases.all()) {
        out.add(Arguments.of(d, c.get("name").asText(), c));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{1} on {0}")
  @MethodSource("cases")
  void forwardAndGradientsMatchPyTorch(Device d, String name, JsonNode c) {
    Devices.assumeUsable(d);
    if (c.get("cpu_only").asBoolean() && d != Device.CPU) {
      // Large enough to take minutes in the simulator; the same kernels run on the smaller cases.
      System.out.println("[detseg tests] conv golden " + name + " not run on " + d + ": CPU-only case (simulator time)");
      return;
    }
    ConvGoldenCases.check(d, c);
  }
}
