package io.detseg.tensor;

import java.util.Locale;

/**
 * Where a tensor's storage lives and which backend runs its ops. CUDA_SIM runs the real CUDA kernels
 * on the host through the simulated driver; data never moves between devices unless asked ({@link
 * Tensor#to}).
 */
public enum Device {
  CPU("cpu"),
  CUDA("cuda"),
  CUDA_SIM("cuda-sim");

  private final String label;

  Device(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }

  /** Parses cpu, cuda or cuda-sim (case-insensitive, '_' accepted for '-'). */
  public static Device parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT).replace('_', '-');
    for (Device d : values()) {
      if (d.label.equals(t)) {
        return d;
      }
    }
    throw new IllegalArgumentException(
        "device: expected one of cpu, cuda, cuda-sim but got '" + text + "'");
  }

  @Override
  public String toString() {
    return label;
  }
}
