package io.detseg.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.detseg.Devices;
import io.detseg.ops.nn.NnGoldenTest;
import io.detseg.ops.Conv;
import io.detseg.ops.ConvParams;
import io.detseg.ops.Pooling;
import io.detseg.perf.LaunchShapes;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import io.detseg.testing.ConvGoldenCases;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The occupancy figures of bench/RESULTS.md are computed at the launch shapes listed in
 * bench/launch_shapes/conv.json and nn.json. This runs every conv and nn golden case on the simulator,
 * watching the launches, and holds the files to what the backend really launches: every kernel of the
 * two families is listed, launched by the cases, with the listed block and at most the listed dynamic
 * shared memory. Two paths no golden reaches (the split weight gradient, the ONNX index layouts) run
 * here against the CPU backend.
 */
class ConvNnLaunchShapesTest {
  private static boolean ofTheFamilies(String kernel) {
    return kernel.startsWith("ds_conv_") || kernel.startsWith("ds_nn_");
  }

  /** The goldens' reductions are too short to split the weight gradient (4096 points here: 4 splits). */
  private static void splitWeightGradientMatchesTheCpu() {
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(ramp(4 * 64 * 64, 0.37f), 1, 4, 64, 64);
      Tensor w = Tensor.of(ramp(8 * 4 * 9, 0.11f), 8, 4, 3, 3);
      Tensor gy = Tensor.of(ramp(8 * 64 * 64, 0.23f), 1, 8, 64, 64);
      ConvParams p = ConvParams.of("conv2d", new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1);
      Conv.Grads cpu = Conv.conv2dBackward(gy, x, w, true, p);
      Conv.Grads sim = Conv.conv2dBackward(gy.to(Device.CUDA_SIM), x.to(Device.CUDA_SIM), w.to(Device.CUDA_SIM), true, p);
      assertClose("grad_weight", cpu.gradWeight().toFloatArray(), sim.gradWeight().toFloatArray(), 1e-3f);
      assertClose("grad_input", cpu.gradInput().toFloatArray(), sim.gradInput().toFloatArray(), 1e-4f);
    }
  }

  /** ONNX MaxPool / MaxUnpool index conversions (only the ONNX conformance cases reach them otherwise). */
  private static void onnxIndexLayoutsMatchTheCpu() {
    try (Scope s = Scope.open()) {
      int[] perPlane = {0, 5, 7, 2, 3, 1, 6, 4};
      Tensor ind = Tensor.of(perPlane, 1, 2, 2, 2);
      for (int order = 0; order <= 1; order++) {
        assertArrayEquals(Pooling.toOnnxIndices(ind, 2, 4, order).toIntArray(),
            Pooling.toOnnxIndices(ind.to(Device.CUDA_SIM), 2, 4, order).toIntArray(), "to_onnx_indices order " + order);
      }
      Tensor onnx = Tensor.of(new int[] {1, 6, 3, 0, 9, 15, 12, 8}, 1, 2, 2, 2);
      assertArrayEquals(Pooling.fromOnnxIndices(onnx, 2, 4).toIntArray(),
          Pooling.fromOnnxIndices(onnx.to(Device.CUDA_SIM), 2, 4).toIntArray(), "from_onnx_indices");
    }
  }

  private static float[] ramp(int n, float step) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = ((i * 7919) % 23 - 11) * step / 11;
    }
    return v;
  }

  private static void assertClose(String what, float[] e, float[] a, float rtol) {
    assertEquals(e.length, a.length, what);
    for (int i = 0; i < e.length; i++) {
      assertEquals(e[i], a[i], rtol * (1 + Math.abs(e[i])), what + "[" + i + "]");
    }
  }

  @Test
  void everyConvAndNnKernelLaunchesWithItsListedShape() throws Exception {
    Devices.assumeUsable(Device.CUDA_SIM);
    Map<String, LaunchShapes.Shape> shapes = LaunchShapes.loadDir(Path.of("..", "bench", "launch_shapes"));
    SimDriver sim = SimDriver.open();
    List<String> family = sim.kernelNames().stream().filter(ConvNnLaunchShapesTest::ofTheFamilies).sorted().toList();
    assertTrue(family.size() >= 40, "the module has " + family.size() + " conv and nn kernels");
    assertEquals(List.of(), family.stream().filter(k -> !shapes.containsKey(k)).toList(),
        "conv and nn kernels without a launch shape in bench/launch_shapes");

    Map<String, Integer> launches = new TreeMap<>();
    Set<String> problems = new TreeSet<>();  // one line per distinct mismatch
    SimDriver.LaunchObserver previous = sim.observeLaunches(l -> {
      if (!ofTheFamilies(l.kernel())) {
        return;
      }
      synchronized (launches) {
        launches.merge(l.kernel(), 1, Integer::sum);
        LaunchShapes.Shape s = shapes.get(l.kernel());
        int[] b = s.block();
        Dim3 listed = new Dim3(b[0], b.length > 1 ? b[1] : 1, b.length > 2 ? b[2] : 1);
        if (!listed.equals(l.block())) {
          problems.add(l.kernel() + ": launched with block " + l.block() + ", listed " + listed);
        }
        if (l.sharedMemBytes() > s.dynamicSmemMax()) {
          problems.add(l.kernel() + ": launched with " + l.sharedMemBytes() + " B of dynamic shared memory, listed at most "
              + s.dynamicSmemMax());
        }
      }
    });
    try {
      for (JsonNode c : ConvGoldenCases.all()) {
        if (!c.get("cpu_only").asBoolean()) {
          ConvGoldenCases.check(Device.CUDA_SIM, c);
        }
      }
      for (NnGoldenTest.Case c : NnGoldenTest.manifest()) {
        NnGoldenTest.run(c, Device.CUDA_SIM);
      }
      splitWeightGradientMatchesTheCpu();
      onnxIndexLayoutsMatchTheCpu();
    } finally {
      sim.observeLaunches(previous);
    }
    assertEquals(Set.of(), problems);
    assertEquals(List.of(), family.stream().filter(k -> !launches.containsKey(k)).toList(),
        "conv and nn kernels the golden cases never launched (their shapes are unchecked)");
  }
}
