package io.detseg.perf;

import java.util.List;
import java.util.Locale;

/** The timing table as CSV (machine-readable, raw numbers) and as Markdown (for RESULTS.md). */
public final class ResultsWriter {
  public static final String CSV_HEADER = "op,case,backend,pass,detseg_median_us,detseg_min_us,peer_median_us,"
      + "peer_min_us,ratio,gflops,peak_pct,gbs,bandwidth_pct,target,met,note";

  private ResultsWriter() {}

  public static String csv(List<ResultRow> rows) {
    StringBuilder b = new StringBuilder(CSV_HEADER).append('\n');
    for (ResultRow r : rows) {
      String note = join(r.detsegError() == null ? null : "detseg: " + r.detsegError(),
          r.peerError() == null ? null : "peer: " + r.peerError());
      b.append(String.join(",", csvField(r.op()), csvField(r.caseId()), r.backend(), r.pass(),
          raw(r.detseg() == null ? null : r.detseg().medianUs()), raw(r.detseg() == null ? null : r.detseg().minUs()),
          raw(r.peer() == null ? null : r.peer().medianUs()), raw(r.peer() == null ? null : r.peer().minUs()),
          raw(r.ratio()), raw(r.gflops()), raw(r.peakPct()), raw(r.gbs()), raw(r.bandwidthPct()),
          csvField(r.targetText()), r.verdict(), csvField(note == null ? "" : note))).append('\n');
    }
    return b.toString();
  }

  public static String markdown(List<ResultRow> rows) {
    StringBuilder b = new StringBuilder();
    b.append("| op | case | backend | pass | detseg median | detseg min | peer median | peer min "
        + "| ratio | GFLOP/s | % peak | GB/s | % BW | target | met |\n");
    b.append("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n");
    for (ResultRow r : rows) {
      b.append("| ").append(md(r.op())).append(" | ").append(md(r.caseId())).append(" | ").append(r.backend())
          .append(" | ").append(r.pass())
          .append(" | ").append(r.detseg() == null ? failed(r.detsegError()) : time(r.detseg().medianUs()))
          .append(" | ").append(r.detseg() == null ? "" : time(r.detseg().minUs()))
          .append(" | ").append(r.peer() == null ? failed(r.peerError()) : time(r.peer().medianUs()))
          .append(" | ").append(r.peer() == null ? "" : time(r.peer().minUs()))
          .append(" | ").append(r.ratio() == null ? "-" : String.format(Locale.ROOT, "%.2f", r.ratio()))
          .append(" | ").append(fixed(r.gflops(), 1))
          .append(" | ").append(fixed(r.peakPct(), 1))
          .append(" | ").append(fixed(r.gbs(), 1))
          .append(" | ").append(fixed(r.bandwidthPct(), 1))
          .append(" | ").append(md(r.targetText()))
          .append(" | ").append(r.verdict().equals("NOT met") ? "**NOT met**" : r.verdict())
          .append(" |\n");
    }
    return b.toString();
  }

  /** A time given in microseconds with 3 significant digits in a fitting unit: "812 ns", "12.3 µs", "4.56 ms", "1.23 s". */
  public static String time(double us) {
    if (us < 1) {
      return Report.num3(us * 1e3) + " ns";
    }
    if (us < 1e3) {
      return Report.num3(us) + " µs";
    }
    if (us < 1e6) {
      return Report.num3(us / 1e3) + " ms";
    }
    return Report.num3(us / 1e6) + " s";
  }

  private static String failed(String error) {
    return error == null ? "-" : "failed¹";
  }

  private static String fixed(Double v, int digits) {
    return v == null ? "-" : String.format(Locale.ROOT, "%." + digits + "f", v);
  }

  private static String raw(Double v) {
    return v == null ? "" : String.format(Locale.ROOT, "%.6g", v);
  }

  static String csvField(String s) {
    if (s == null) {
      return "";
    }
    if (s.contains(",") || s.contains("\"") || s.contains("\n")) {
      return "\"" + s.replace("\"", "\"\"") + "\"";
    }
    return s;
  }

  static String md(String s) {
    return s == null ? "" : s.replace("|", "\\|").replace("\n", " ");
  }

  private static String join(String a, String b) {
    if (a == null) {
      return b;
    }
    return b == null ? a : a + "; " + b;
  }
}
