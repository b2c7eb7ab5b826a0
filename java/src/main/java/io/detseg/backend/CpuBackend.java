package io.detseg.backend;

import io.detseg.nativelib.NativeMemory;
import io.detseg.tensor.Device;

/** The CPU backend: native/cpu through JNI, SIMD level chosen at run time, OpenMP over all cores. */
public final class CpuBackend implements Backend {
  private final BasicKernels basic = new CpuBasicKernels();
  private final BoxKernels boxes = new CpuBoxKernels();
  private final NmsKernels nms = new CpuNmsKernels();
  private final RoiKernels roi = new CpuRoiKernels();
  private final ConvKernels conv = new CpuConvKernels();
  private final NnKernels nn = new CpuNnKernels();
  private final LossKernels loss = new CpuLossKernels();

  CpuBackend() {
    CpuNative.simdLevel(); // loads the library now, so an unusable CPU backend fails at creation
  }

  @Override
  public Device device() {
    return Device.CPU;
  }

  @Override
  public String describe() {
    return "native C++ (" + CpuNative.simdLevel() + ", " + CpuNative.threads() + " threads)";
  }

  @Override
  public long allocate(long bytes) {
    return NativeMemory.allocate(bytes);
  }

  @Override
  public void free(long address) {
    NativeMemory.free(address);
  }

  @Override
  public void copyFromHost(long hostAddress, long dstAddress, long bytes) {
    NativeMemory.copy(hostAddress, dstAddress, bytes);
  }

  @Override
  public void copyToHost(long srcAddress, long hostAddress, long bytes) {
    NativeMemory.copy(srcAddress, hostAddress, bytes);
  }

  @Override
  public void copyWithin(long srcAddress, long dstAddress, long bytes) {
    NativeMemory.copy(srcAddress, dstAddress, bytes);
  }

  @Override
  public void fillBytes(long dstAddress, byte value, long bytes) {
    NativeMemory.fill(dstAddress, value, bytes);
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
