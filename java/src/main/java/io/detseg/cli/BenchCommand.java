package io.detseg.cli;

import io.detseg.perf.BenchCase;
import io.detseg.perf.BenchCases;
import io.detseg.perf.MachineLimits;
import io.detseg.perf.Report;
import io.detseg.perf.ResultRow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * `detseg bench`: the benchmark harness (bench/README.md). Without options it runs bench/run, which
 * builds what is missing, measures the machine's limits, times every case on detseg (JMH) and on
 * PyTorch, and writes bench/results/RESULTS.md, results.csv and chart.png. `--limits` only measures
 * and prints the machine limits. `--select` and `--report` are the steps bench/run calls.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {"Benchmark every op against PyTorch and write bench/results/RESULTS.md (runs bench/run).",
        "--limits only measures this machine's fp32 FMA peak and STREAM bandwidth."})
final class BenchCommand implements Callable<Integer> {
  @Option(names = "--quick", description = "only the cases marked quick, shorter runs (under 5 minutes)")
  boolean quick;

  @Option(names = "--filter", paramLabel = "REGEX", description = "only cases whose id or op matches REGEX")
  String filter;

  @Option(names = "--peer-runs", paramLabel = "N",
      description = "run the PyTorch peer in N processes, keeping each case's best (default 2, 1 with --quick)")
  Integer peerRuns;

  @Option(names = "--limits", description = "measure and print the machine limits (FMA peak, STREAM triad)")
  boolean limits;

  @Option(names = "--json", paramLabel = "FILE", description = "with --limits or --peak: also write them as JSON")
  Path json;

  @Option(names = "--peak", hidden = true,
      description = "measure only the all-thread FMA peak of the best instruction set (bench/run, next to cases"
          + " with a % peak target)")
  boolean peak;

  @Option(names = "--select", hidden = true, paramLabel = "OUT.json",
      description = "check bench/cases and write the selected cases (bench/run's first step)")
  Path select;

  @Option(names = "--report", hidden = true, paramLabel = "WORKDIR",
      description = "write RESULTS.md, results.csv and chart.png from a run's work directory")
  Path report;

  @Option(names = "--results", hidden = true, paramLabel = "DIR", description = "with --report: output directory")
  Path results;

  @Option(names = "--root", paramLabel = "DIR", description = "the detseg checkout (default: found from the jar)")
  Path root;

  @Override
  public Integer call() throws IOException, InterruptedException {
    if (peak) {
      MachineLimits.Peak p = MachineLimits.measurePeak();
      System.out.println(String.format(java.util.Locale.ROOT, "fp32 FMA peak  %s %d threads  %s", p.isa(), p.threads(),
          p.gflops() == null ? "?" : String.format(java.util.Locale.ROOT, "%.1f GFLOP/s", p.gflops())));
      if (json != null) {
        Files.writeString(json, new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(p));
      }
      return 0;
    }
    if (limits) {
      MachineLimits.Limits l = MachineLimits.measure(quick);
      l.describe().forEach(System.out::println);
      if (json != null) {
        Files.writeString(json, new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter()
            .writeValueAsString(l));
      }
      return 0;
    }
    Path top = root != null ? root : findRoot();
    Path benchDir = top.resolve("bench");
    if (select != null) {
      List<BenchCase> all = BenchCases.loadDir(benchDir.resolve("cases"));
      List<BenchCase> chosen = BenchCases.select(all, quick, filter);
      Map<String, String> skipped = BenchCases.checkAgainstRegistry(chosen);
      List<BenchCase> run = new ArrayList<>();
      for (BenchCase c : chosen) {
        if (!skipped.containsKey(c.id())) {
          run.add(c);
        }
      }
      Files.createDirectories(select.toAbsolutePath().getParent());
      Files.writeString(select, BenchCases.toJson(run, skipped).toPrettyString());
      System.out.println("bench: " + run.size() + " case(s) selected of " + all.size()
          + (skipped.isEmpty() ? "" : "; not run (op not registered): " + String.join(", ", skipped.keySet())));
      if (run.isEmpty()) {
        System.out.println("bench: nothing to run (no case matches"
            + (quick ? " --quick (\"quick\": true)" : "") + (filter != null ? " --filter '" + filter + "'" : "")
            + ", or their ops are not registered)");
        return 3;
      }
      return 0;
    }
    if (report != null) {
      Path out = results != null ? results : benchDir.resolve("results");
      List<ResultRow> rows = Report.generate(benchDir, report, out);
      long met = rows.stream().filter(r -> r.verdict().equals("met")).count();
      long notMet = rows.stream().filter(r -> r.verdict().equals("NOT met")).count();
      System.out.println("bench: wrote " + out.resolve("RESULTS.md") + ", results.csv, chart.png (" + rows.size()
          + " rows; targets met " + met + ", not met " + notMet + ")");
      return 0;
    }
    Path script = benchDir.resolve("run");
    if (!Files.isExecutable(script)) {
      throw new IllegalStateException("bench: " + script + " not found or not executable (use --root DIR)");
    }
    List<String> cmd = new ArrayList<>(List.of(script.toString()));
    if (quick) {
      cmd.add("--quick");
    }
    if (filter != null) {
      cmd.add("--filter");
      cmd.add(filter);
    }
    if (peerRuns != null) {
      if (peerRuns < 1 || peerRuns > 9) {
        throw new IllegalArgumentException("bench: --peer-runs must be within [1, 9], got " + peerRuns);
      }
      cmd.add("--peer-runs");
      cmd.add(Integer.toString(peerRuns));
    }
    Process p = new ProcessBuilder(cmd).directory(top.toFile()).inheritIO().start();
    return p.waitFor();
  }

  /** DETSEG_ROOT, else the first directory holding bench/run above the jar, else above the working directory. */
  static Path findRoot() {
    String env = System.getenv("DETSEG_ROOT");
    if (env != null && !env.isBlank()) {
      return Path.of(env);
    }
    List<Path> starts = new ArrayList<>();
    try {
      starts.add(Path.of(BenchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI()));
    } catch (Exception e) {
      // no code source: fall back to the working directory
    }
    starts.add(Path.of("").toAbsolutePath());
    for (Path s : starts) {
      for (Path d = s; d != null; d = d.getParent()) {
        if (Files.exists(d.resolve("bench").resolve("run"))) {
          return d;
        }
      }
    }
    throw new IllegalStateException("bench: cannot find the detseg checkout (a directory with bench/run); "
        + "give --root DIR or set DETSEG_ROOT");
  }
}
