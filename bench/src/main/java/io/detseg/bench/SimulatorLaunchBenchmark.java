package io.detseg.bench;

import io.detseg.backend.Backends;
import io.detseg.backend.cuda.CudaBackend;
import io.detseg.backend.cuda.Dim3;
import io.detseg.backend.cuda.KernelArgs;
import io.detseg.backend.cuda.SimDriver;
import io.detseg.backend.cuda.SimOptions;
import io.detseg.tensor.DType;
import io.detseg.tensor.Device;
import io.detseg.tensor.Tensor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What one simulated launch costs: 4096 blocks × 256 threads, each thread passing two
 * __syncthreads() (kernels/testing/launch_cost.cu). "fast" is one schedule without shared-memory
 * poison (how benchmarks of ops would run it); "strict" is the test default (two schedules compared,
 * poison on), which runs every launch twice from a memory snapshot.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SimulatorLaunchBenchmark {
  @Param({"fast", "strict"})
  public String checks;

  private CudaBackend sim;
  private Tensor out;
  private SimOptions saved;

  @Setup(Level.Trial)
  public void setup() {
    sim = (CudaBackend) Backends.get(Device.CUDA_SIM);
    saved = SimDriver.open().options();
    SimDriver.open().setOptions("strict".equals(checks) ? SimOptions.strict() : SimOptions.fast());
    out = Tensor.empty(Device.CUDA_SIM, DType.FLOAT32, 4096);
  }

  @Benchmark
  public void launch4096x256TwoBarriers() {
    sim.launch("ds_test_two_barriers", Dim3.of(4096), Dim3.of(256), 0, new KernelArgs().pointer(out.address()));
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    out.close();
    SimDriver.open().setOptions(saved);
  }
}
