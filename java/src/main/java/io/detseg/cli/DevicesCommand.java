package io.detseg.cli;

import io.detseg.backend.Backends;
import io.detseg.tensor.Device;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** `detseg devices`: every backend, whether it can be used here, and why not. */
@Command(name = "devices", mixinStandardHelpOptions = true,
    description = "List the backends (cpu, cuda, cuda-sim), whether each is usable here, and why not.")
final class DevicesCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    for (Device d : Device.values()) {
      if (Backends.isAvailable(d)) {
        System.out.printf("%-9s usable       %s%n", d.label(), Backends.get(d).describe());
      } else {
        System.out.printf("%-9s unavailable  %s%n", d.label(), Backends.unavailableReason(d));
      }
    }
    return Backends.isAvailable(Device.CPU) ? 0 : 1;
  }
}
