package io.detseg.backend.cuda;

import java.nio.ByteBuffer;

/**
 * The slice of the CUDA driver API the CUDA backend uses. Two implementations: {@link JCudaDriver}
 * (a real GPU through JCuda's driver API) and {@link SimDriver} (the simulator in libdetseg). The
 * backend must not know which one it talks to. Handles are opaque non-zero longs; device addresses
 * are real addresses, so address arithmetic works on both.
 */
public interface CudaDriver {
  /** "jcuda" or "simulator". */
  String name();

  /** The device this driver runs on, e.g. "NVIDIA L4 (sm_89), driver 13000". */
  String describeDevice();

  long memAlloc(long bytes);

  void memFree(long deviceAddress);

  /** Host to device; {@code src} is a direct buffer of at least {@code bytes}. */
  void copyHtoD(long dst, ByteBuffer src, long bytes);

  void copyDtoH(ByteBuffer dst, long src, long bytes);

  void copyDtoD(long dst, long src, long bytes);

  void memsetD8(long dst, byte value, long bytes);

  long moduleLoad(ModuleImage image);

  void moduleUnload(long module);

  long moduleGetFunction(long module, String kernelName);

  /** Lets a kernel use more than 48 KiB of dynamic shared memory (cuFuncSetAttribute). */
  void funcSetMaxDynamicSharedMemory(long function, int bytes);

  void launchKernel(long function, Dim3 grid, Dim3 block, int sharedMemBytes, KernelArgs args);

  void synchronize();

  long eventCreate();

  void eventRecord(long event);

  /** Milliseconds between two recorded events (waits for the second). */
  float eventElapsedMillis(long start, long end);

  void eventDestroy(long event);
}
