package io.detseg.backend.cuda;

import io.detseg.nativelib.NativeLibrary;

/**
 * A loadable set of kernels. The real driver loads {@link #bytes()} (the fatbin nvcc built into the
 * jar); the simulator loads its module of the same {@link #name()}, built from the same sources.
 */
public record ModuleImage(String name, String resource) {
  /** Every kernel in kernels/*.cu, compiled into one module. */
  public static final ModuleImage DETSEG_KERNELS = new ModuleImage("detseg_kernels", "detseg_kernels.fatbin");

  /** The fatbin bytes, or null when the jar was built without nvcc. */
  public byte[] bytes() {
    return NativeLibrary.readResource(resource);
  }
}
