package io.detseg.perf;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One benchmark case of a bench/cases/&lt;family&gt;.json file (schema in bench/README.md): an op of the
 * registry, its generated inputs and its parameters (as `detseg op` takes them), whether the backward
 * is timed too, and the work per call for GFLOP/s or GB/s.
 *
 * @param file the case file it came from (for messages)
 * @param flops flops of one forward call, or null
 * @param bytes bytes one forward call must move at least, or null
 * @param flopsBackward flops of one backward call, or null
 * @param bytesBackward bytes of one backward call, or null
 */
public record BenchCase(String id, String op, boolean backward, boolean quick, Map<String, Input> inputs,
    Map<String, String> params, Double flops, Double bytes, Double flopsBackward, Double bytesBackward,
    Target target, String file) {

  /** A generated input: generator name, shape and the generator's arguments (numbers). */
  public record Input(String name, String gen, long[] shape, Map<String, Double> args) {}

  /**
   * What the case must reach; every bound given must hold. ratio: peer median / detseg median at
   * least this; peakPct / bandwidthPct: at least this % of the measured FMA peak / STREAM bandwidth.
   * backends and passes restrict where it applies (default: cpu; every timed pass).
   */
  public record Target(Double ratio, Double peakPct, Double bandwidthPct, List<String> backends,
      List<String> passes, String note) {
    public boolean appliesTo(String backend, String pass) {
      return backends.contains(backend) && (passes.isEmpty() || passes.contains(pass));
    }

    /** e.g. "≥ 5× peer" or "≥ 85 % peak". */
    public String describe() {
      StringBuilder b = new StringBuilder();
      if (ratio != null) {
        b.append("≥ ").append(Report.num(ratio)).append("× peer");
      }
      if (peakPct != null) {
        b.append(b.length() == 0 ? "" : ", ").append("≥ ").append(Report.num(peakPct)).append(" % peak");
      }
      if (bandwidthPct != null) {
        b.append(b.length() == 0 ? "" : ", ").append("≥ ").append(Report.num(bandwidthPct)).append(" % BW");
      }
      return b.toString();
    }
  }

  public BenchCase {
    inputs = new LinkedHashMap<>(inputs);
    params = new LinkedHashMap<>(params);
  }

  /** "forward", and "backward" when the backward is timed too. */
  public List<String> passes() {
    return backward ? List.of("forward", "backward") : List.of("forward");
  }

  public Double flops(String pass) {
    return "backward".equals(pass) ? flopsBackward : flops;
  }

  public Double bytes(String pass) {
    return "backward".equals(pass) ? bytesBackward : bytes;
  }
}
