package io.detseg.ops.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.detseg.Devices;
import io.detseg.ops.registry.OpRegistry;
import io.detseg.ops.registry.OpSpec;
import io.detseg.tensor.DType;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import io.detseg.testing.Goldens;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every nn op against PyTorch 1.13 (goldens made by tools/goldens/nn.py; the manifest names the registry
 * op and its parameters exactly as `detseg op` takes them), forward and every input gradient, on every
 * backend. Each case runs through the op registry, so the CLI wiring is tested too.
 */
class NnGoldenTest {
  private static final String FAMILY = "nn";

  record Case(String name, String op, double atol, double rtol, Map<String, String> params) {}

  static List<Case> manifest() throws IOException {
    List<Case> cases = new ArrayList<>();
    try (InputStream in = NnGoldenTest.class.getResourceAsStream("/goldens/nn/manifest.tsv")) {
      if (in == null) {
        throw new IllegalStateException("goldens/nn/manifest.tsv is missing: run /usr/bin/python3 tools/goldens/nn.py");
      }
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      for (String line; (line = r.readLine()) != null; ) {
        if (line.isBlank()) {
          continue;
        }
        String[] f = line.split("\t");
        Map<String, String> params = new LinkedHashMap<>();
        for (int i = 4; i < f.length; i++) {
          int eq = f[i].indexOf('=');
          params.put(f[i].substring(0, eq), f[i].substring(eq + 1));
        }
        cases.add(new Case(f[0], f[1], Double.parseDouble(f[2]), Double.parseDouble(f[3]), params));
      }
    }
    return cases;
  }

  @TestFactory
  Stream<DynamicTest> goldens() throws IOException {
    List<Case> cases = manifest();
    assertTrue(cases.size() >= 60, "the manifest lists " + cases.size() + " cases");
    List<DynamicTest> tests = new ArrayList<>();
    for (Device d : Devices.all().toList()) {
      for (Case c : cases) {
        tests.add(DynamicTest.dynamicTest(c.name() + " on " + d, () -> {
          Devices.assumeUsable(d);
          run(c, d);
        }));
      }
    }
    return tests.stream();
  }

  static void run(Case c, Device d) {
    OpSpec op = OpRegistry.get(c.op());
    try (Scope s = Scope.open()) {
      Map<String, Tensor> in = new LinkedHashMap<>();
      for (String name : op.inputs()) {
        in.put(name, Goldens.load(FAMILY, c.name(), name).to(d));
      }
      Map<String, Tensor> out = op.forward().apply(in, op.params(c.params()));
      for (String name : op.outputs()) {
        compare(c, d, name, Goldens.load(FAMILY, c.name(), name), out.get(name));
      }
      for (String name : op.inputs()) {
        if (Goldens.exists(FAMILY, c.name(), "after_" + name)) {
          compare(c, d, "updated " + name, Goldens.load(FAMILY, c.name(), "after_" + name), in.get(name));
        }
      }
      Map<String, Tensor> gouts = new LinkedHashMap<>();
      for (String name : op.outputs()) {
        Tensor o = out.get(name);
        gouts.put(name, Goldens.exists(FAMILY, c.name(), "gout_" + name)
            ? Goldens.load(FAMILY, c.name(), "gout_" + name).to(d) : Tensor.zeros(d, o.dtype(), o.shape()));
      }
      Map<String, Tensor> grads = op.backward().apply(in, op.params(c.params()), out, gouts);
      int checked = 0;
      for (String name : op.differentiable()) {
        if (Goldens.exists(FAMILY, c.name(), "grad_" + name)) {
          compare(c, d, "grad_" + name, Goldens.load(FAMILY, c.name(), "grad_" + name), grads.get(name));
          checked++;
        }
      }
      assertTrue(checked > 0, c.name() + ": no gradient golden");
    }
  }

  static void compare(Case c, Device d, String what, Tensor expected, Tensor actual) {
    String where = c.name() + " (" + c.op() + ") on " + d + ": " + what;
    if (actual == null) {
      fail(where + ": missing");
    }
    assertArrayEquals(expected.shape(), actual.shape(), where + ": shape");
    assertEquals(expected.dtype(), actual.dtype(), where + ": dtype");
    if (expected.dtype() == DType.INT32) {
      assertArrayEquals(expected.toIntArray(), actual.toIntArray(), where);
      return;
    }
    float[] e = expected.toFloatArray();
    float[] a = actual.toFloatArray();
    for (int i = 0; i < e.length; i++) {
      if (Float.isNaN(e[i])) {
        assertTrue(Float.isNaN(a[i]), where + "[" + i + "]: expected NaN but got " + a[i]);
        continue;
      }
      assertFalse(Float.isNaN(a[i]), where + "[" + i + "]: expected " + e[i] + " but got NaN");
      double tol = c.atol() + c.rtol() * Math.abs(e[i]);
      if (!(Math.abs((double) e[i] - a[i]) <= tol)) {
        fail(where + "[" + i + "]: expected " + e[i] + " but got " + a[i] + " (tolerance " + tol + ")");
      }
    }
  }
}
