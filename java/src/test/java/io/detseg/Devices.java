package io.detseg;

import io.detseg.backend.Backends;
import io.detseg.tensor.Device;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/** The backends tests run on: CPU and CUDA_SIM always, CUDA when this machine has a usable GPU. */
public final class Devices {
  private Devices() {}

  public static Stream<Device> all() {
    List<Device> out = new ArrayList<>(List.of(Device.CPU, Device.CUDA_SIM, Device.CUDA));
    return out.stream();
  }

  /** Skips the calling test on CUDA when it cannot run here, printing why (never a silent skip). */
  public static void assumeUsable(Device d) {
    if (!Backends.isAvailable(d)) {
      String why = "not run on " + d + ": " + Backends.unavailableReason(d);
      System.out.println("[detseg tests] " + why);
      Assumptions.abort(why);
    }
  }
}
