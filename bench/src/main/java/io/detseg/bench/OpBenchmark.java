package io.detseg.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.detseg.backend.Backends;
import io.detseg.backend.cuda.CudaBackend;
import io.detseg.backend.cuda.CudaDriver;
import io.detseg.ops.registry.OpRegistry;
import io.detseg.ops.registry.OpSpec;
import io.detseg.ops.registry.Params;
import io.detseg.perf.BenchCase;
import io.detseg.perf.BenchCases;
import io.detseg.tensor.DType;
import io.detseg.tensor.Device;
import io.detseg.tensor.Npy;
import io.detseg.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * One benchmark case of bench/cases (chosen by {@link #caseId}, on {@link #backend}): its inputs are
 * the .npy files bench/harness/gen_inputs.py wrote (the same files the PyTorch side reads), the op
 * runs through the registry exactly as `detseg op` runs it. {@link #forward} times the forward;
 * {@link #backward} times the backward alone (forward done once in setup, gradient of every float
 * output = ones). Warm-up, iterations and their length come from the runner ({@link BenchMain});
 * every call's outputs are freed inside the timed region, as PyTorch frees its own.
 *
 * <p>On CUDA each call is bracketed by CUDA events (through CudaDriver) and waits for the second;
 * the event times of the measured iterations are written next to JMH's JSON and preferred by the
 * report. The simulator (cuda-sim) is never benchmarked.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
public class OpBenchmark {
  /** Case id from bench/cases (the runner passes one per run). */
  @Param({""})
  public String caseId;

  /** "cpu" or "cuda". */
  @Param({"cpu"})
  public String backend;

  private OpSpec op;
  private Params params;
  private final Map<String, Tensor> inputs = new LinkedHashMap<>();
  private Map<String, Tensor> outputs;
  private final Map<String, Tensor> grads = new LinkedHashMap<>();

  private CudaDriver cuda;
  private long evStart;
  private long evStop;
  private double iterationMs;
  private long iterationCalls;
  private final List<Double> eventIterationsUs = new ArrayList<>();

  @Setup(Level.Trial)
  public void setup() throws IOException {
    Path work = BenchMain.workDir();
    BenchCase c = findCase(work, caseId);
    Device device = Device.parse(backend);
    if (device == Device.CUDA_SIM) {
      throw new IllegalArgumentException("bench: the simulator is never benchmarked");
    }
    op = OpRegistry.get(c.op());
    params = op.params(c.params());
    for (String name : op.inputs()) {
      Path file = work.resolve("inputs").resolve(c.id()).resolve(name + ".npy");
      if (!Files.exists(file)) {
        throw new IllegalStateException("bench: missing input " + file + " (run bench/harness/gen_inputs.py)");
      }
      Tensor host = Npy.read(file);
      inputs.put(name, device == Device.CPU ? host : host.to(device));
      if (device != Device.CPU) {
        host.close();
      }
    }
    if (device == Device.CUDA) {
      cuda = ((CudaBackend) Backends.get(Device.CUDA)).driver();
      evStart = cuda.eventCreate();
      evStop = cuda.eventCreate();
    }
    // One untimed call checks the case runs at all (a failure here names the case).
    outputs = op.forward().apply(inputs, params);
    if (cuda != null) {
      cuda.synchronize();
    }
    for (String name : op.outputs()) {
      Tensor o = outputs.get(name);
      if (o.dtype() == DType.FLOAT32) {
        float[] ones = new float[Math.toIntExact(o.numel())];
        Arrays.fill(ones, 1f);
        grads.put(name, Tensor.of(device, ones, o.shape()));
      } else {
        grads.put(name, Tensor.zeros(device, o.dtype(), o.shape()));
      }
    }
  }

  @Setup(Level.Iteration)
  public void startIteration() {
    iterationMs = 0;
    iterationCalls = 0;
  }

  @Benchmark
  public void forward(Blackhole bh) {
    try (io.detseg.tensor.Scope s = io.detseg.tensor.Scope.open()) {
      if (cuda != null) {
        cuda.eventRecord(evStart);
      }
      bh.consume(op.forward().apply(inputs, params));
      if (cuda != null) {
        cuda.eventRecord(evStop);
        iterationMs += cuda.eventElapsedMillis(evStart, evStop);
        iterationCalls++;
      }
    }
  }

  @Benchmark
  public void backward(Blackhole bh) {
    try (io.detseg.tensor.Scope s = io.detseg.tensor.Scope.open()) {
      if (cuda != null) {
        cuda.eventRecord(evStart);
      }
      bh.consume(op.backward().apply(inputs, params, outputs, grads));
      if (cuda != null) {
        cuda.eventRecord(evStop);
        iterationMs += cuda.eventElapsedMillis(evStart, evStop);
        iterationCalls++;
      }
    }
  }

  @TearDown(Level.Iteration)
  public void endIteration(IterationParams ip) {
    if (cuda != null && ip.getType() == IterationType.MEASUREMENT && iterationCalls > 0) {
      eventIterationsUs.add(iterationMs * 1e3 / iterationCalls);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    if (cuda != null) {
      ObjectNode o = new ObjectMapper().createObjectNode();
      o.put("case", caseId);
      o.put("backend", backend);
      var arr = o.putArray("iterations_us");
      eventIterationsUs.forEach(arr::add);
      String file = System.getProperty("detseg.bench.events");
      if (file != null) {
        Files.writeString(Path.of(file), o.toPrettyString());
      }
      cuda.eventDestroy(evStart);
      cuda.eventDestroy(evStop);
    }
    for (Tensor t : grads.values()) {
      t.close();
    }
    if (outputs != null) {
      outputs.values().forEach(Tensor::close);
    }
    inputs.values().forEach(Tensor::close);
  }

  static BenchCase findCase(Path work, String id) throws IOException {
    JsonNode root = new ObjectMapper().readTree(work.resolve("cases.json").toFile());
    for (BenchCase c : BenchCases.fromJson(root)) {
      if (c.id().equals(id)) {
        return c;
      }
    }
    throw new IllegalArgumentException("bench: case '" + id + "' is not in " + work.resolve("cases.json"));
  }
}
