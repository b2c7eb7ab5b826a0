package io.detseg.backend.cuda;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The simulated CUDA driver: the real kernels compiled for the host, run block by block on worker
 * threads with every CUDA thread a fiber (native/sim). Launches are synchronous, so events are host
 * timestamps. The options are process-wide: the simulator is one device.
 */
public final class SimDriver implements CudaDriver {
  private static final SimDriver INSTANCE = new SimDriver();

  private final Map<Long, Long> events = new ConcurrentHashMap<>();
  private final AtomicLong nextEvent = new AtomicLong(1);
  /** Function handle to kernel name, for the launch observer. */
  private final Map<Long, String> functionNames = new ConcurrentHashMap<>();
  private volatile SimOptions options;
  private volatile LaunchObserver observer;

  /** One launch as the backend asked for it (what tests compare with bench/launch_shapes). */
  public record Launch(String kernel, Dim3 grid, Dim3 block, int sharedMemBytes) {}

  /** Sees every later launch before it runs, on the launching thread. */
  public interface LaunchObserver {
    void launched(Launch launch);
  }

  private SimDriver() {
    setOptions(SimOptions.strict());
  }

  public static SimDriver open() {
    return INSTANCE;
  }

  /** Changes how every later launch is run and checked. */
  public synchronized void setOptions(SimOptions o) {
    int[] schedules = o.schedules().stream().mapToInt(Enum::ordinal).toArray();
    SimNative.setOptions(o.workers(), o.seed(), schedules, o.poisonShared(), o.checkRedzones(), o.racecheckGlobal());
    options = o;
  }

  public SimOptions options() {
    return options;
  }

  /** Device allocations not yet freed (what leak tests look at). */
  public long liveAllocations() {
    return SimNative.liveAllocations();
  }

  public List<String> kernelNames() {
    return List.of(SimNative.kernelNames());
  }

  /** Sets (or with null removes) the observer of launches; returns the one it replaces. */
  public synchronized LaunchObserver observeLaunches(LaunchObserver o) {
    LaunchObserver old = observer;
    observer = o;
    return old;
  }

  /** Blocks, threads, fiber switches and barriers of the last launch. */
  public long[] lastLaunchStats() {
    return SimNative.lastLaunchStats();
  }

  @Override
  public String name() {
    return "simulator";
  }

  @Override
  public String describeDevice() {
    SimOptions o = options;
    return "CUDA simulator (host fibers, " + (o.workers() == 0 ? Runtime.getRuntime().availableProcessors() : o.workers())
        + " workers, schedules " + o.schedules() + ")";
  }

  @Override
  public long memAlloc(long bytes) {
    return SimNative.memAlloc(bytes);
  }

  @Override
  public void memFree(long deviceAddress) {
    SimNative.memFree(deviceAddress);
  }

  @Override
  public void copyHtoD(long dst, ByteBuffer src, long bytes) {
    SimNative.copyHtoD(dst, src, bytes);
  }

  @Override
  public void copyDtoH(ByteBuffer dst, long src, long bytes) {
    SimNative.copyDtoH(dst, src, bytes);
  }

  @Override
  public void copyDtoD(long dst, long src, long bytes) {
    SimNative.copyDtoD(dst, src, bytes);
  }

  @Override
  public void memsetD8(long dst, byte value, long bytes) {
    SimNative.memsetD8(dst, value, bytes);
  }

  @Override
  public long moduleLoad(ModuleImage image) {
    return SimNative.moduleLoad(image.name());
  }

  @Override
  public void moduleUnload(long module) {
    SimNative.moduleUnload(module);
  }

  @Override
  public long moduleGetFunction(long module, String kernelName) {
    long f = SimNative.moduleGetFunction(module, kernelName);
    functionNames.put(f, kernelName);
    return f;
  }

  @Override
  public void funcSetMaxDynamicSharedMemory(long function, int bytes) {
    SimNative.funcSetMaxDynamicShared(function, bytes);
  }

  @Override
  public void launchKernel(long function, Dim3 grid, Dim3 block, int sharedMemBytes, KernelArgs args) {
    LaunchObserver o = observer;
    if (o != null) {
      o.launched(new Launch(functionNames.getOrDefault(function, "?"), grid, block, sharedMemBytes));
    }
    SimNative.launch(function, grid.x(), grid.y(), grid.z(), block.x(), block.y(), block.z(), sharedMemBytes,
        args.packed(), args.sizes());
  }

  @Override
  public void synchronize() {
    // Launches and copies complete before they return.
  }

  @Override
  public long eventCreate() {
    long id = nextEvent.getAndIncrement();
    events.put(id, 0L);
    return id;
  }

  @Override
  public void eventRecord(long event) {
    requireEvent(event);
    events.put(event, System.nanoTime());
  }

  @Override
  public float eventElapsedMillis(long start, long end) {
    return (requireEvent(end) - requireEvent(start)) / 1e6f;
  }

  @Override
  public void eventDestroy(long event) {
    events.remove(event);
  }

  private long requireEvent(long event) {
    Long t = events.get(event);
    if (t == null) {
      throw new CudaException("simulator: unknown event handle " + event);
    }
    return t;
  }
}
