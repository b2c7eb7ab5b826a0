package io.detseg.backend;

import io.detseg.tensor.Device;
import io.detseg.tensor.Tensor;

/**
 * What a device can do: own memory, copy it, and run kernels. Implementations are CpuBackend (JNI
 * into native/cpu) and CudaBackend (kernels launched through a CudaDriver, real or simulated).
 *
 * <p>Kernels are grouped by op family (one interface per family, one implementation per backend),
 * so each family's code stays in its own files. Ops never call a backend with unchecked arguments: io.detseg.ops validates shapes,
 * dtypes and devices first and allocates outputs on the inputs' device, so every method here may
 * assume well-formed, contiguous tensors of the right sizes that live on this backend's device.
 */
public interface Backend {
  Device device();

  /** A one-line description (SIMD level, driver and GPU name...). */
  String describe();

  // ---- memory -------------------------------------------------------------------------------
  long allocate(long bytes);

  void free(long address);

  /** Copies from host native memory (a CPU tensor's storage) into this device's memory. */
  void copyFromHost(long hostAddress, long dstAddress, long bytes);

  /** Copies from this device's memory into host native memory. */
  void copyToHost(long srcAddress, long hostAddress, long bytes);

  void copyWithin(long srcAddress, long dstAddress, long bytes);

  void fillBytes(long dstAddress, byte value, long bytes);

  // ---- kernels, by op family ---------------------------------------------------------------
  /** The first ops: elementwise, reductions, box IoU. */
  BasicKernels basic();

  BoxKernels boxes();

  NmsKernels nms();

  RoiKernels roi();

  ConvKernels conv();

  NnKernels nn();

  LossKernels loss();
}
