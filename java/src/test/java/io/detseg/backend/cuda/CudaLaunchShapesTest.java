package io.detseg.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import io.detseg.Devices;
import io.detseg.ops.Conv;
import io.detseg.ops.ConvParams;
import io.detseg.ops.Pooling;
import io.detseg.perf.LaunchShapes;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.FilterResult;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.PostDiscoveryFilter;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * The occupancy figures of bench/RESULTS.md are computed at the launch shapes listed in
 * bench/launch_shapes/*.json. This re-runs the op and model tests in-process with only their simulator
 * cases (every golden, conformance and gradient-check case of every family), watching the launches
 * (SimDriver's launch observer), and holds the files to what the backend really launches: every kernel
 * of the module is listed, launched by those tests, with the listed block and at most the listed
 * dynamic shared memory. Two paths no test of those packages reaches (the split CUDA weight gradient,
 * the ONNX index layouts) run here against the CPU backend.
 */
class CudaLaunchShapesTest {
  /** The test-only kernels of kernels/testing (simulator checks), which have no launch shape. */
  private static boolean isTestKernel(String kernel) {
    return kernel.startsWith("simtest_") || kernel.startsWith("ds_test_");
  }

  /** Display names of test cases parameterized on another device (CPU, or CUDA but not CUDA_SIM). */
  private static final Pattern OTHER_DEVICE = Pattern.compile("\\b(CPU|CUDA)\\b");

  @Test
  void everyKernelLaunchesWithItsListedShape() throws Exception {
    Devices.assumeUsable(Device.CUDA_SIM);
    Map<String, LaunchShapes.Shape> shapes = LaunchShapes.loadDir(Path.of("..", "bench", "launch_shapes"));
    SimDriver sim = SimDriver.open();
    List<String> kernels = sim.kernelNames().stream().filter(k -> !isTestKernel(k)).sorted().toList();
    assertTrue(kernels.size() >= 130, "the module has " + kernels.size() + " kernels");

    Map<String, Integer> launches = new TreeMap<>();
    Set<String> problems = new TreeSet<>();  // one line per distinct mismatch
    SimDriver.LaunchObserver previous = sim.observeLaunches(l -> {
      LaunchShapes.Shape s = shapes.get(l.kernel());
      synchronized (launches) {
        launches.merge(l.kernel(), 1, Integer::sum);
        if (s == null) {
          return;  // reported as a kernel without a launch shape
        }
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
    TestExecutionSummary summary;
    try {
      summary = runSimulatorCasesOf("io.detseg.ops", "io.detseg.models");
      splitWeightGradientMatchesTheCpu();
      onnxIndexLayoutsMatchTheCpu();
    } finally {
      sim.observeLaunches(previous);
    }
    assertEquals(0, summary.getTotalFailureCount(), () -> "the re-run tests failed: " + summary.getFailures().stream()
        .map(f -> f.getTestIdentifier().getDisplayName() + ": " + f.getException()).toList());
    assertTrue(summary.getTestsSucceededCount() >= 300, "re-ran " + summary.getTestsSucceededCount() + " simulator cases");
    assertEquals(List.of(), kernels.stream().filter(k -> !shapes.containsKey(k)).toList(),
        "kernels without a launch shape in bench/launch_shapes");
    assertEquals(Set.of(), problems);
    assertEquals(List.of(), kernels.stream().filter(k -> !launches.containsKey(k)).toList(),
        "kernels no test launched (their shapes are unchecked)");
  }

  /** Runs the tests of these packages whose cases are not parameterized on CPU or CUDA. */
  private static TestExecutionSummary runSimulatorCasesOf(String... packages) {
    LauncherDiscoveryRequestBuilder b = LauncherDiscoveryRequestBuilder.request();
    for (String p : packages) {
      b.selectors(selectPackage(p));
    }
    PostDiscoveryFilter simOnly = d -> FilterResult.includedIf(d.isContainer() || !OTHER_DEVICE.matcher(d.getDisplayName()).find());
    LauncherDiscoveryRequest request = b.filters(simOnly).build();
    SummaryGeneratingListener listener = new SummaryGeneratingListener();
    LauncherFactory.create().execute(request, listener);
    return listener.getSummary();
  }

  /** The conv goldens' reductions are too short to split the CUDA weight gradient (4096 points: 4 splits). */
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

  /** ONNX MaxPool / MaxUnpool index conversions (otherwise only reached when libonnx-testdata is there). */
  private static void onnxIndexLayoutsMatchTheCpu() {
    try (Scope s = Scope.open()) {
      Tensor ind = Tensor.of(new int[] {0, 5, 7, 2, 3, 1, 6, 4}, 1, 2, 2, 2);
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
}
