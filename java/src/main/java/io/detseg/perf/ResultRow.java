package io.detseg.perf;

/**
 * One line of the timing table: a case's pass (forward or backward) on one backend, with both
 * sides' timings (or why a side has none) and the figures derived from them.
 *
 * @param peakGflops measured all-thread FMA peak for "% of peak" (CPU rows), or null
 * @param bandwidthGbs measured STREAM triad bandwidth for "% of bandwidth" (CPU rows), or null
 */
public record ResultRow(String op, String caseId, String backend, String pass, Stats detseg, String detsegError,
    Stats peer, String peerError, Double flops, Double bytes, BenchCase.Target target, Double peakGflops,
    Double bandwidthGbs) {

  /** peer median / detseg median: > 1 means detseg is faster. */
  public Double ratio() {
    return detseg == null || peer == null || detseg.medianUs() <= 0 ? null : peer.medianUs() / detseg.medianUs();
  }

  public Double gflops() {
    return flops == null || detseg == null ? null : flops / (detseg.medianUs() * 1e3);
  }

  public Double peakPct() {
    Double g = gflops();
    return g == null || peakGflops == null ? null : 100.0 * g / peakGflops;
  }

  public Double gbs() {
    return bytes == null || detseg == null ? null : bytes / (detseg.medianUs() * 1e3);
  }

  public Double bandwidthPct() {
    Double g = gbs();
    return g == null || bandwidthGbs == null ? null : 100.0 * g / bandwidthGbs;
  }

  /** The target text for this row, or "" when no target applies to it. */
  public String targetText() {
    return target != null && target.appliesTo(backend, pass) ? target.describe() : "";
  }

  /** "met", "NOT met", "n/a" (a figure it needs is missing) or "" (no target). */
  public String verdict() {
    if (target == null || !target.appliesTo(backend, pass)) {
      return "";
    }
    Boolean ok = true;
    ok = and(ok, target.ratio(), ratio());
    ok = and(ok, target.peakPct(), peakPct());
    ok = and(ok, target.bandwidthPct(), bandwidthPct());
    return ok == null ? "n/a" : ok ? "met" : "NOT met";
  }

  /** Three-valued AND: false wins, then unknown (null), then true. A null bound is no condition. */
  private static Boolean and(Boolean sofar, Double bound, Double value) {
    if (bound == null || Boolean.FALSE.equals(sofar)) {
      return sofar;
    }
    if (value == null) {
      return null;
    }
    if (value < bound) {
      return Boolean.FALSE;
    }
    return sofar;
  }
}
