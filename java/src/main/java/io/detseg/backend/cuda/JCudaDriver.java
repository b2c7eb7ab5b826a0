package io.detseg.backend.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuFuncSetAttribute;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoD;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuMemsetD8;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUmodule;

/**
 * A real GPU through JCuda's driver API only (no runtime API, no cuDNN), on device 0's primary
 * context. Opening fails with the reason when JCuda's native library, the NVIDIA driver, a device or
 * the fatbin is missing; {@link io.detseg.backend.Backends} reports that reason and goes on.
 */
public final class JCudaDriver implements io.detseg.backend.cuda.CudaDriver {
  private final CUcontext context = new CUcontext();
  private final String description;
  private final AtomicLong nextHandle = new AtomicLong(1);
  private final Map<Long, Object> handles = new ConcurrentHashMap<>();

  private JCudaDriver() {
    jcuda.driver.JCudaDriver.setExceptionsEnabled(true);
    cuInit(0);
    int[] count = {0};
    cuDeviceGetCount(count);
    if (count[0] == 0) {
      throw new IllegalStateException("the NVIDIA driver reports no CUDA device");
    }
    CUdevice device = new CUdevice();
    cuDeviceGet(device, 0);
    cuDevicePrimaryCtxRetain(context, device);
    cuCtxSetCurrent(context);
    byte[] name = new byte[256];
    cuDeviceGetName(name, name.length, device);
    int[] major = {0};
    int[] minor = {0};
    int[] version = {0};
    cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
    cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
    cuDriverGetVersion(version);
    String n = new String(name, StandardCharsets.US_ASCII).trim().replace("\0", "");
    description = n + " (sm_" + major[0] + minor[0] + "), driver API " + version[0];
  }

  /** Opens device 0, or throws IllegalStateException saying why CUDA cannot be used here. */
  public static JCudaDriver open() {
    if (ModuleImage.DETSEG_KERNELS.bytes() == null) {
      throw new IllegalStateException("no fatbin in this build (nvcc was not on PATH or DETSEG_CUDA=OFF)");
    }
    try {
      return new JCudaDriver();
    } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
      throw new IllegalStateException("JCuda cannot load the NVIDIA driver library (libcuda.so): "
          + firstLine(e.getMessage()), e);
    } catch (CudaException e) {
      throw new IllegalStateException("the NVIDIA driver failed to initialise: " + e.getMessage(), e);
    }
  }

  @Override
  public String name() {
    return "jcuda";
  }

  @Override
  public String describeDevice() {
    return description;
  }

  @Override
  public long memAlloc(long bytes) {
    bind();
    AddressablePointer p = new AddressablePointer();
    cuMemAlloc(p, Math.max(bytes, 1));
    return p.address();
  }

  @Override
  public void memFree(long deviceAddress) {
    bind();
    cuMemFree(at(deviceAddress));
  }

  @Override
  public void copyHtoD(long dst, ByteBuffer src, long bytes) {
    bind();
    cuMemcpyHtoD(at(dst), Pointer.to(src), bytes);
  }

  @Override
  public void copyDtoH(ByteBuffer dst, long src, long bytes) {
    bind();
    cuMemcpyDtoH(Pointer.to(dst), at(src), bytes);
  }

  @Override
  public void copyDtoD(long dst, long src, long bytes) {
    bind();
    cuMemcpyDtoD(at(dst), at(src), bytes);
  }

  @Override
  public void memsetD8(long dst, byte value, long bytes) {
    bind();
    cuMemsetD8(at(dst), value, bytes);
  }

  @Override
  public long moduleLoad(ModuleImage image) {
    bind();
    byte[] fatbin = image.bytes();
    if (fatbin == null) {
      throw new io.detseg.backend.cuda.CudaException("module " + image.name() + ": no fatbin in this build");
    }
    CUmodule module = new CUmodule();
    cuModuleLoadData(module, fatbin);
    return register(module);
  }

  @Override
  public void moduleUnload(long module) {
    bind();
    cuModuleUnload((CUmodule) handles.remove(module));
  }

  @Override
  public long moduleGetFunction(long module, String kernelName) {
    bind();
    CUfunction f = new CUfunction();
    cuModuleGetFunction(f, (CUmodule) handles.get(module), kernelName);
    return register(f);
  }

  @Override
  public void funcSetMaxDynamicSharedMemory(long function, int bytes) {
    bind();
    cuFuncSetAttribute((CUfunction) handles.get(function),
        CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes);
  }

  @Override
  public void launchKernel(long function, Dim3 grid, Dim3 block, int sharedMemBytes, KernelArgs args) {
    bind();
    Pointer[] params = new Pointer[args.count()];
    for (int i = 0; i < params.length; i++) {
      long v = args.bits(i);
      params[i] = args.kind(i) == KernelArgs.Kind.I32 || args.kind(i) == KernelArgs.Kind.F32
          ? Pointer.to(new int[] {(int) v})
          : Pointer.to(new long[] {v});
    }
    cuLaunchKernel((CUfunction) handles.get(function), grid.x(), grid.y(), grid.z(), block.x(), block.y(),
        block.z(), sharedMemBytes, null, Pointer.to(params), null);
  }

  @Override
  public void synchronize() {
    bind();
    cuCtxSynchronize();
  }

  @Override
  public long eventCreate() {
    bind();
    CUevent e = new CUevent();
    cuEventCreate(e, CUevent_flags.CU_EVENT_DEFAULT);
    return register(e);
  }

  @Override
  public void eventRecord(long event) {
    bind();
    cuEventRecord((CUevent) handles.get(event), null);
  }

  @Override
  public float eventElapsedMillis(long start, long end) {
    bind();
    cuEventSynchronize((CUevent) handles.get(end));
    float[] ms = {0};
    cuEventElapsedTime(ms, (CUevent) handles.get(start), (CUevent) handles.get(end));
    return ms[0];
  }

  @Override
  public void eventDestroy(long event) {
    bind();
    cuEventDestroy((CUevent) handles.remove(event));
  }

  /** The primary context must be current on whichever thread calls (Cleaner, workers...). */
  private void bind() {
    cuCtxSetCurrent(context);
  }

  private long register(Object handle) {
    long h = nextHandle.getAndIncrement();
    handles.put(h, handle);
    return h;
  }

  /** A CUdeviceptr for a numeric device address (base 0 plus the address as offset). */
  private static CUdeviceptr at(long address) {
    return new CUdeviceptr().withByteOffset(address);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "(no message)";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /** Exposes the numeric address JCuda keeps inside a freshly allocated CUdeviceptr. */
  private static final class AddressablePointer extends CUdeviceptr {
    long address() {
      return getNativePointer();
    }
  }
}
