package io.detseg.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.Devices;
import io.detseg.onnx.OnnxModel;
import io.detseg.tensor.DType;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import io.detseg.testing.OnnxConformance;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ONNX's operator conformance cases for the conv family from Debian's libonnx-testdata: every
 * test_conv*, test_basic_conv* and test_convtranspose* case (Conv, ConvInteger, ConvTranspose), on
 * every backend. 2-D cases must match the expected output (ONNX's backend-test tolerance, rtol 1e-3,
 * atol 1e-7, plus 1e-5 for our float sums; ConvInteger exactly); the 1-D and 3-D cases must be
 * rejected with the message that names what is missing.
 */
class ConvOnnxConformanceTest {
  static Stream<Arguments> cases() throws IOException {
    List<Path> dirs = new ArrayList<>();
    dirs.addAll(OnnxConformance.cases("test_conv"));
    dirs.addAll(OnnxConformance.cases("test_basic_conv"));
    List<Arguments> out = new ArrayList<>();
    for (Device d : Devices.all().toList()) {
      for (Path p : dirs) {
        out.add(Arguments.of(d, p.getFileName().toString(), p));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{1} on {0}")
  @MethodSource("cases")
  void matchesOnnx(Device d, String name, Path dir) throws IOException {
    Devices.assumeUsable(d);
    OnnxModel m = OnnxConformance.model(dir);
    OnnxConv.Attributes a = OnnxConv.Attributes.of(m);
    List<OnnxConformance.DataSet> sets = OnnxConformance.dataSets(dir);
    assertTrue(!sets.isEmpty(), name + " has no data set");
    for (OnnxConformance.DataSet ds : sets) {
      try (ds; Scope s = Scope.open()) {
        Map<String, Tensor> byName = new HashMap<>();
        List<String> graphInputs = m.inputs();
        for (int i = 0; i < graphInputs.size(); i++) {
          byName.put(graphInputs.get(i), ds.inputs().get(i).to(d));
        }
        List<String> ni = m.nodeInputs();
        Tensor x = byName.get(ni.get(0));
        Tensor w = byName.get(ni.get(1));
        Tensor third = ni.size() > 2 && !ni.get(2).isEmpty() ? byName.get(ni.get(2)) : null;
        Tensor fourth = ni.size() > 3 && !ni.get(3).isEmpty() ? byName.get(ni.get(3)) : null;
        boolean twoD = x.dim() == 4;
        switch (m.opType()) {
          case "Conv":
            if (!twoD) {
              expectRejected(name, x, () -> OnnxConv.conv(x, w, third, a));
              continue;
            }
            compare(name, d, ds.outputs().get(0), OnnxConv.conv(x, w, third, a));
            break;
          case "ConvTranspose":
            if (!twoD) {
              expectRejected(name, x, () -> OnnxConv.convTranspose(x, w, third, a));
              continue;
            }
            compare(name, d, ds.outputs().get(0), OnnxConv.convTranspose(x, w, third, a));
            break;
          case "ConvInteger": {
            Tensor y = OnnxConv.convInteger(x, w, third, fourth, a);
            Tensor ref = ds.outputs().get(0);
            assertEquals(DType.INT32, y.dtype(), name);
            assertArrayEquals(ref.shape(), y.shape(), name + " shape");
            assertArrayEquals(ref.toIntArray(), y.toIntArray(), name + " on " + d);
            break;
          }
          default:
            throw new AssertionError(name + ": unexpected op " + m.opType());
        }
      }
    }
  }

  private static void expectRejected(String name, Tensor x, org.junit.jupiter.api.function.Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call, name + " must be rejected");
    String kind = x.dim() == 3 ? "(a 1-D convolution)" : "(a 3-D convolution)";
    assertTrue(e.getMessage().contains("only 2-D convolution is implemented") && e.getMessage().contains(kind),
        name + ": message '" + e.getMessage() + "' should say only 2-D is implemented and " + kind);
  }

  private static void compare(String name, Device d, Tensor ref, Tensor got) {
    assertArrayEquals(ref.shape(), got.shape(), name + " shape on " + d);
    float[] e = ref.toFloatArray();
    float[] a = got.toFloatArray();
    for (int i = 0; i < e.length; i++) {
      float tol = 1e-5f + 1e-3f * Math.abs(e[i]);
      assertTrue(Math.abs(e[i] - a[i]) <= tol, name + " on " + d + " at " + i + ": expected " + e[i] + " but got " + a[i]);
    }
  }
}
