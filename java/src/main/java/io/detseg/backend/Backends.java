package io.detseg.backend;

import io.detseg.backend.cuda.CudaBackend;
import io.detseg.backend.cuda.JCudaDriver;
import io.detseg.backend.cuda.SimDriver;
import io.detseg.tensor.Device;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One backend per device, created on first use. A device that cannot be used (no NVIDIA driver, no
 * fatbin, native library missing) is remembered with its reason; asking for it throws
 * IllegalStateException with that reason, and nothing else is affected.
 */
public final class Backends {
  private static final Map<Device, Object> CACHE = new EnumMap<>(Device.class);

  private Backends() {}

  public static Backend get(Device device) {
    Object o = resolve(device);
    if (o instanceof Backend) {
      return (Backend) o;
    }
    throw new IllegalStateException("device " + device + " is unavailable: " + ((Throwable) o).getMessage(),
        (Throwable) o);
  }

  public static boolean isAvailable(Device device) {
    return resolve(device) instanceof Backend;
  }

  /** Why the device is unusable, or null when it is usable. */
  public static String unavailableReason(Device device) {
    Object o = resolve(device);
    return o instanceof Backend ? null : ((Throwable) o).getMessage();
  }

  private static synchronized Object resolve(Device device) {
    return CACHE.computeIfAbsent(device, d -> {
      try {
        return create(d).get();
      } catch (Throwable t) {
        return t instanceof IllegalStateException ? t : new IllegalStateException(describe(t), t);
      }
    });
  }

  private static Supplier<Backend> create(Device device) {
    switch (device) {
      case CPU:
        return CpuBackend::new;
      case CUDA_SIM:
        return () -> new CudaBackend(Device.CUDA_SIM, SimDriver.open());
      case CUDA:
        return () -> new CudaBackend(Device.CUDA, JCudaDriver.open());
      default:
        throw new AssertionError(device);
    }
  }

  private static String describe(Throwable t) {
    String m = t.getMessage();
    return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }
}
