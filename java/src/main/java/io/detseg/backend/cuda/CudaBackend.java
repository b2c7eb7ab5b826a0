package io.detseg.backend.cuda;

import io.detseg.backend.Backend;
import io.detseg.backend.BasicKernels;
import io.detseg.backend.BoxKernels;
import io.detseg.backend.NmsKernels;
import io.detseg.backend.RoiKernels;
import io.detseg.backend.ConvKernels;
import io.detseg.backend.NnKernels;
import io.detseg.backend.LossKernels;
import io.detseg.nativelib.NativeMemory;
import io.detseg.tensor.Device;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs ops as CUDA kernels through a {@link CudaDriver}. The same code drives a real GPU (JCuda) and
 * the simulator: it only loads the detseg_kernels module, looks kernels up by name and launches them
 * with the shapes documented in docs/KERNEL_CONTRACTS.md.
 */
public final class CudaBackend implements Backend {
  /** Host↔device copies go through direct ByteBuffers, whose capacity is an int. */
  private static final long COPY_CHUNK = 1L << 30;

  private final Device device;
  private final CudaDriver driver;
  private final long module;
  private final Map<String, Long> functions = new ConcurrentHashMap<>();
  private final BasicKernels basic = new CudaBasicKernels(this);
  private final BoxKernels boxes = new CudaBoxKernels(this);
  private final NmsKernels nms = new CudaNmsKernels(this);
  private final RoiKernels roi = new CudaRoiKernels(this);
  private final ConvKernels conv = new CudaConvKernels(this);
  private final NnKernels nn = new CudaNnKernels(this);
  private final LossKernels loss = new CudaLossKernels(this);

  public CudaBackend(Device device, CudaDriver driver) {
    this.device = device;
    this.driver = driver;
    this.module = driver.moduleLoad(ModuleImage.DETSEG_KERNELS);
  }

  public CudaDriver driver() {
    return driver;
  }

  @Override
  public Device device() {
    return device;
  }

  @Override
  public String describe() {
    return driver.name() + ": " + driver.describeDevice();
  }

  /** Launches a kernel of the detseg_kernels module by name. */
  public void launch(String kernel, Dim3 grid, Dim3 block, int sharedBytes, KernelArgs args) {
    long f = functions.computeIfAbsent(kernel, k -> driver.moduleGetFunction(module, k));
    driver.launchKernel(f, grid, block, sharedBytes, args);
  }

  // ---- memory ---------------------------------------------------------------------------------

  @Override
  public long allocate(long bytes) {
    return driver.memAlloc(bytes);
  }

  @Override
  public void free(long address) {
    driver.memFree(address);
  }

  @Override
  public void copyFromHost(long hostAddress, long dstAddress, long bytes) {
    for (long off = 0; off < bytes; off += COPY_CHUNK) {
      long n = Math.min(COPY_CHUNK, bytes - off);
      ByteBuffer view = NativeMemory.view(hostAddress + off, n);
      driver.copyHtoD(dstAddress + off, view, n);
    }
  }

  @Override
  public void copyToHost(long srcAddress, long hostAddress, long bytes) {
    for (long off = 0; off < bytes; off += COPY_CHUNK) {
      long n = Math.min(COPY_CHUNK, bytes - off);
      ByteBuffer view = NativeMemory.view(hostAddress + off, n);
      driver.copyDtoH(view, srcAddress + off, n);
    }
  }

  @Override
  public void copyWithin(long srcAddress, long dstAddress, long bytes) {
    driver.copyDtoD(dstAddress, srcAddress, bytes);
  }

  @Override
  public void fillBytes(long dstAddress, byte value, long bytes) {
    driver.memsetD8(dstAddress, value, bytes);
  }

  @Override
  public BasicKernels basic() {
    return basic;
  }

  @Override
  public BoxKernels boxes() {
    return boxes;
  }

  @Override
  public NmsKernels nms() {
    return nms;
  }

  @Override
  public RoiKernels roi() {
    return roi;
  }

  @Override
  public ConvKernels conv() {
    return conv;
  }

  @Override
  public NnKernels nn() {
    return nn;
  }

  @Override
  public LossKernels loss() {
    return loss;
  }
}
