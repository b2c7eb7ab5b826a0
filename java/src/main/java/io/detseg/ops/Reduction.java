package io.detseg.ops;

import io.detseg.backend.LossKernels;
import java.util.Locale;

/** How a loss reduces its per-element values: PyTorch's reduction strings 'none', 'mean', 'sum'. */
public enum Reduction {
  NONE(LossKernels.NONE),
  MEAN(LossKernels.MEAN),
  SUM(LossKernels.SUM);

  private final int code;

  Reduction(int code) {
    this.code = code;
  }

  /** The code the backends take (LossKernels.NONE / MEAN / SUM). */
  public int code() {
    return code;
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses 'none' / 'mean' / 'sum' (case-insensitive) for op {@code op}. */
  public static Reduction parse(String op, String text) {
    if (text != null) {
      switch (text.trim().toLowerCase(Locale.ROOT)) {
        case "none":
          return NONE;
        case "mean":
          return MEAN;
        case "sum":
          return SUM;
        default:
          break;
      }
    }
    throw new IllegalArgumentException(op + ": argument 'reduction': expected 'none', 'mean' or 'sum' but got '"
        + text + "'");
  }
}
