package io.detseg.perf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Assembles bench/results/RESULTS.md, results.csv and chart.png from what one run of bench/run left
 * in its work directory: run.json (settings), limits.json (`detseg bench --limits --json`),
 * cases.json (the selection), jmh/index.json + JMH JSON files (detseg), peer.json (PyTorch),
 * ptxas.json (tools/ptxas_report.py --json, when the build made a fatbin) and
 * bench/launch_shapes/*.json. Every number in the output comes from those files.
 */
public final class Report {
  static final ObjectMapper JSON = new ObjectMapper();
  static final List<String> STATIC_ARCHS = List.of("sm_80", "sm_90");

  private Report() {}

  /** Writes the three outputs into outDir; returns the rows (for the caller's summary). */
  public static List<ResultRow> generate(Path benchDir, Path work, Path outDir) throws IOException {
    JsonNode run = readOptional(work.resolve("run.json"));
    JsonNode limitsJson = read(work.resolve("limits.json"));
    MachineLimits.Limits limits = JSON.treeToValue(limitsJson, MachineLimits.Limits.class);
    JsonNode selection = read(work.resolve("cases.json"));
    JsonNode index = readOptional(work.resolve("jmh").resolve("index.json"));
    JsonNode peer = readOptional(work.resolve("peer.json"));
    JsonNode ptxas = readOptional(work.resolve("ptxas.json"));

    Map<String, BenchCase> byId = new LinkedHashMap<>();
    for (BenchCase c : BenchCases.loadDir(benchDir.resolve("cases"))) {
      byId.put(c.id(), c);
    }
    List<BenchCase> selected = new ArrayList<>();
    for (JsonNode c : selection.path("cases")) {
      BenchCase full = byId.get(c.get("id").asText());
      if (full != null) {
        selected.add(full);
      }
    }
    Map<String, CasePeak> casePeaks = casePeaks(work.resolve("peaks"));
    List<ResultRow> rows = rows(selected, index, work.resolve("jmh"), peer, limits, casePeaks);
    Map<String, LaunchShapes.Shape> shapes = LaunchShapes.loadDir(benchDir.resolve("launch_shapes"));

    Files.createDirectories(outDir);
    String md = markdown(run, limits, index, peer, selection, rows, ptxas, shapes, casePeaks);
    Files.writeString(outDir.resolve("RESULTS.md"), md);
    Files.writeString(outDir.resolve("results.csv"), ResultsWriter.csv(rows));
    RatioChart.write(rows, "detseg vs PyTorch — " + (run == null ? "?" : run.path("mode").asText("?")) + " run, "
        + text(run, "started"), outDir.resolve("chart.png"));
    return rows;
  }

  // ---- rows -----------------------------------------------------------------------------------

  /**
   * The FMA peak bench/run measured right before and right after one case (WORK/peaks/CASE.before.json
   * and .after.json, `detseg bench --peak`). The case's "% peak" divides by the highest of those two and
   * the run's own peak: this VM's speed changes within a second, so a peak measured slow next to the case
   * says nothing certain about the case's own seconds (in one run the peak after sgemm_1024 measured 224
   * GFLOP/s, half the run's, while the case itself ran at 352), and a fraction of a low peak flatters.
   * bench/run measures a case again when a peak next to it is below 90 % of the best so far.
   */
  record CasePeak(double before, double after) {
    double used(Double runPeak) {
      return Math.max(Math.max(before, after), runPeak == null ? 0.0 : runPeak);
    }
  }

  /** The case peaks in dir (none when it does not exist); a case needs both files. */
  static Map<String, CasePeak> casePeaks(Path dir) throws IOException {
    Map<String, CasePeak> out = new TreeMap<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (var files = Files.list(dir)) {
      for (Path f : files.sorted().toList()) {
        String name = f.getFileName().toString();
        if (!name.endsWith(".before.json")) {
          continue;
        }
        String id = name.substring(0, name.length() - ".before.json".length());
        Path after = dir.resolve(id + ".after.json");
        JsonNode b = read(f);
        JsonNode a = Files.exists(after) ? read(after) : null;
        if (a != null && b.path("gflops").isNumber() && a.path("gflops").isNumber()) {
          out.put(id, new CasePeak(b.get("gflops").asDouble(), a.get("gflops").asDouble()));
        }
      }
    }
    return out;
  }

  static List<ResultRow> rows(List<BenchCase> cases, JsonNode index, Path jmhDir, JsonNode peer,
      MachineLimits.Limits limits, Map<String, CasePeak> casePeaks) throws IOException {
    Map<String, JsonNode> jobs = new HashMap<>();
    boolean anyCuda = false;
    if (index != null) {
      for (JsonNode j : index.path("jobs")) {
        jobs.put(key(j.get("case").asText(), j.get("backend").asText(), j.get("pass").asText()), j);
        anyCuda |= "cuda".equals(j.get("backend").asText());
      }
    }
    Map<String, JsonNode> peers = new HashMap<>();
    if (peer != null) {
      for (JsonNode r : peer.path("results")) {
        peers.put(key(r.get("case").asText(), r.get("backend").asText(), r.get("pass").asText()), r);
        anyCuda |= "cuda".equals(r.get("backend").asText());
      }
    }
    List<String> backends = anyCuda ? List.of("cpu", "cuda") : List.of("cpu");
    List<ResultRow> rows = new ArrayList<>();
    for (String backend : backends) {
      for (BenchCase c : cases) {
        for (String pass : c.passes()) {
          String k = key(c.id(), backend, pass);
          Stats d = null;
          String dErr = null;
          JsonNode job = jobs.get(k);
          if (job == null) {
            dErr = backend.equals("cuda") ? "CUDA not usable for detseg here" : "not run";
          } else if (job.hasNonNull("error")) {
            dErr = job.get("error").asText();
          } else {
            d = detsegStats(job, jmhDir);
          }
          Stats p = null;
          String pErr = null;
          JsonNode pr = peers.get(k);
          if (pr == null) {
            pErr = peer == null ? "peer did not run" : backend.equals("cuda") ? "torch has no CUDA here" : "not run";
          } else if (pr.hasNonNull("error")) {
            pErr = pr.get("error").asText();
          } else {
            p = Stats.of(doubles(pr.get("iterations_us")));
          }
          boolean cpu = backend.equals("cpu");
          CasePeak cp = casePeaks.get(c.id());
          Double peak = cp != null ? Double.valueOf(cp.used(limits.bestPeakAllThreads())) : limits.bestPeakAllThreads();
          rows.add(new ResultRow(c.op(), c.id(), backend, pass, d, dErr, p, pErr, c.flops(pass), c.bytes(pass),
              c.target(), cpu ? peak : null, cpu ? limits.stream().bestGbs() : null));
        }
      }
    }
    return rows;
  }

  /**
   * detseg's per-iteration times: CUDA event times when the job recorded them (CUDA rows), else the
   * JMH JSON's raw data (mean time per call of each measured iteration).
   */
  static Stats detsegStats(JsonNode job, Path jmhDir) throws IOException {
    if (job.hasNonNull("events")) {
      JsonNode ev = read(jmhDir.resolve(job.get("events").asText()));
      return Stats.of(doubles(ev.get("iterations_us")));
    }
    return Stats.of(jmhIterationsUs(read(jmhDir.resolve(job.get("jmh").asText()))));
  }

  /** The raw per-iteration scores of the (single) benchmark in a JMH JSON result file, in µs. */
  public static List<Double> jmhIterationsUs(JsonNode jmh) {
    if (!jmh.isArray() || jmh.isEmpty()) {
      throw new IllegalArgumentException("JMH result: expected a non-empty array of benchmark results");
    }
    JsonNode pm = jmh.get(0).get("primaryMetric");
    double scale = unitToUs(pm.path("scoreUnit").asText());
    List<Double> out = new ArrayList<>();
    for (JsonNode fork : pm.path("rawData")) {
      for (JsonNode v : fork) {
        out.add(v.asDouble() * scale);
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("JMH result: primaryMetric.rawData holds no iteration");
    }
    return out;
  }

  static double unitToUs(String unit) {
    switch (unit) {
      case "ns/op":
        return 1e-3;
      case "us/op":
        return 1;
      case "ms/op":
        return 1e3;
      case "s/op":
        return 1e6;
      default:
        throw new IllegalArgumentException("JMH result: unexpected score unit '" + unit + "' (want a time per op)");
    }
  }

  // ---- Markdown -------------------------------------------------------------------------------

  static String markdown(JsonNode run, MachineLimits.Limits limits, JsonNode index, JsonNode peer,
      JsonNode selection, List<ResultRow> rows, JsonNode ptxas, Map<String, LaunchShapes.Shape> shapes,
      Map<String, CasePeak> casePeaks) {
    StringBuilder b = new StringBuilder();
    String mode = run == null ? "?" : run.path("mode").asText("?");
    b.append("# detseg benchmark results\n\n");
    b.append("Written by `bench/run").append("quick".equals(mode) ? " --quick" : "")
        .append(run != null && !run.path("filter").asText("").isEmpty()
            ? " --filter '" + run.path("filter").asText() + "'" : "")
        .append("` (").append(mode).append(" run) started ").append(text(run, "started"))
        .append(", finished ").append(text(run, "finished")).append(", commit ").append(text(run, "git"))
        .append(". Every number below was measured by that run; re-run with `./detseg bench")
        .append("quick".equals(mode) ? " --quick" : "").append("`.\n\n");

    double load = firstNumber(text(run, "load_start"));
    if (load >= BUSY_LOAD) {
      b.append("**Warning: the machine was busy when this run started (1-minute load average ")
          .append(text(run, "load_start").split(" ")[0]).append(" on ").append(MachineInfo.logicalCpus())
          .append(" CPUs): multi-threaded timings and the limits are unreliable. Re-run on an idle machine.**\n\n");
    }
    b.append("## Machine\n\n| | |\n|---|---|\n");
    b.append("| CPU | ").append(MachineInfo.cpuModel()).append(", ").append(MachineInfo.logicalCpus())
        .append(" logical CPUs |\n");
    long mem = MachineInfo.meminfoBytes("MemTotal");
    b.append("| memory | ").append(mem > 0 ? String.format(Locale.ROOT, "%.1f GiB", mem / (double) (1L << 30)) : "?")
        .append(" |\n");
    b.append("| JDK | ").append(MachineInfo.jdk()).append(" |\n");
    b.append("| compiler | ").append(limits.compiler()).append(" (libdetseg)");
    if (run != null && !run.path("nvcc").asText("").isEmpty()) {
      b.append("; ").append(run.path("nvcc").asText()).append(" (fatbin)");
    }
    b.append(" |\n");
    if (index != null) {
      for (Iterator<Map.Entry<String, JsonNode>> it = index.path("backends").fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        b.append("| detseg ").append(e.getKey()).append(" | ").append(ResultsWriter.md(e.getValue().asText()))
            .append(" |\n");
      }
    }
    if (peer != null) {
      b.append("| peer | PyTorch ").append(peer.path("torch").asText("?")).append(", torchvision ")
          .append(peer.path("torchvision").asText("?")).append(", BLAS: ")
          .append(ResultsWriter.md(peer.path("blas").asText("not recorded"))).append(", ")
          .append(peer.path("threads").asText("?"))
          .append(" threads (torch.set_num_threads); best of ").append(peer.path("processes").asText("1"))
          .append(" process(es) per case; CUDA: ").append(ResultsWriter.md(peer.path("cuda").asText("?")))
          .append(" |\n");
    }
    b.append("| load average | at start ").append(text(run, "load_start")).append("; at end ")
        .append(text(run, "load_end")).append(" (1, 5, 15 min; ").append(MachineInfo.logicalCpus())
        .append(" CPUs; the start is taken before the run's own build, the end includes the run's own load) |\n");
    if (run != null) {
      b.append("| settings | ").append(run.path("warmup_iterations").asText()).append(" warm-up + ")
          .append(run.path("iterations").asText()).append(" measured iterations of ")
          .append(run.path("iteration_ms").asText()).append(" ms per case and pass, one fresh JVM per detseg job "
          + "(JMH fork), the same iterations for the peer; case by case, the peer right after detseg; both sides "
          + "with glibc's malloc keeping freed memory (MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_); the peer's "
          + "OpenBLAS on the kernels its own CPU detection picks (OPENBLAS_* overrides cleared), or on the strongest "
          + "core the CPU runs where that pick falls short of it (the peer line says so); bench/run says why |\n");
    }
    b.append('\n');

    b.append("## Machine limits (measured by this run)\n\n```\n");
    for (String line : limits.describe()) {
      b.append(line).append('\n');
    }
    b.append("```\n\n");
    Double peak = limits.bestPeakAllThreads();
    b.append("\"% peak\" below divides a CPU row's GFLOP/s by the ").append(limits.bestIsa() == null ? "?"
        : limits.bestIsa()).append(" ").append(limits.threads()).append("-thread FMA peak (")
        .append(peak == null ? "?" : String.format(Locale.ROOT, "%.1f GFLOP/s", peak))
        .append("); \"% BW\" divides its GB/s by the best STREAM triad bandwidth (")
        .append(String.format(Locale.ROOT, "%.1f GB/s", limits.stream().bestGbs())).append(").");
    if (!casePeaks.isEmpty()) {
      b.append(" Cases with a \"% peak\" target also get the FMA peak measured right before and right after them "
          + "(measured again when either is below 90 % of the best so far: the VM was slowed), and divide by the "
          + "highest of the three, so a slow minute cannot flatter them:\n\n");
      b.append("| case | pass | GFLOP/s | peak before | peak after | % of the highest | % of the run's peak above |\n");
      b.append("|---|---|---:|---:|---:|---:|---:|\n");
      for (ResultRow r : rows) {
        CasePeak cp = casePeaks.get(r.caseId());
        if (cp == null || !r.backend().equals("cpu") || r.gflops() == null) {
          continue;
        }
        b.append(String.format(Locale.ROOT, "| %s | %s | %.1f | %.1f | %.1f | %.1f | %s |\n", r.caseId(), r.pass(),
            r.gflops(), cp.before(), cp.after(), r.peakPct(),
            peak == null ? "-" : String.format(Locale.ROOT, "%.1f", 100.0 * r.gflops() / peak)));
      }
    }
    b.append("\n\n");

    List<ResultRow> failures = new ArrayList<>();
    for (String backend : List.of("cpu", "cuda")) {
      List<ResultRow> part = rows.stream().filter(r -> r.backend().equals(backend)).toList();
      if (part.isEmpty()) {
        continue;
      }
      b.append("## Timings — ").append(backend.equals("cpu") ? "CPU" : "CUDA (CUDA events; never the simulator)")
          .append("\n\n");
      b.append(ResultsWriter.markdown(part)).append('\n');
      for (ResultRow r : part) {
        if ((r.detseg() == null && r.detsegError() != null && !r.detsegError().startsWith("CUDA not usable"))
            || (r.peer() == null && r.peerError() != null && !r.peerError().startsWith("torch has no CUDA"))) {
          failures.add(r);
        }
      }
    }
    b.append("Ratio = peer median / detseg median (> 1: detseg faster). Median and min are over the measured "
        + "iterations, each iteration's value being its mean time per call. GFLOP/s and GB/s come from the "
        + "case's `flops` / `bytes` per call and detseg's median.\n\n");
    if (!failures.isEmpty()) {
      b.append("¹ Failed:\n\n");
      for (ResultRow r : failures) {
        b.append("- ").append(r.caseId()).append(" ").append(r.pass()).append(" ").append(r.backend()).append(": ");
        if (r.detseg() == null && r.detsegError() != null) {
          b.append("detseg: ").append(ResultsWriter.md(r.detsegError())).append(". ");
        }
        if (r.peer() == null && r.peerError() != null) {
          b.append("peer: ").append(ResultsWriter.md(r.peerError())).append('.');
        }
        b.append('\n');
      }
      b.append('\n');
    }
    JsonNode skipped = selection.path("skipped");
    if (skipped.size() > 0) {
      b.append("## Cases not run\n\n");
      for (Iterator<Map.Entry<String, JsonNode>> it = skipped.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        b.append("- ").append(e.getKey()).append(": ").append(ResultsWriter.md(e.getValue().asText())).append('\n');
      }
      b.append('\n');
    }
    b.append(cudaStatic(ptxas, shapes));
    return b.toString();
  }

  /** The CUDA static report: ptxas figures and theoretical occupancy per kernel for sm_80 and sm_90. */
  static String cudaStatic(JsonNode ptxas, Map<String, LaunchShapes.Shape> shapes) {
    StringBuilder b = new StringBuilder("## CUDA static report (ptxas, theoretical occupancy)\n\n");
    if (ptxas == null) {
      b.append("No ptxas figures: this build made no fatbin (nvcc not on PATH, or -Ddetseg.cuda=OFF).\n");
      return b.toString();
    }
    b.append("Registers per thread, spill bytes (stores/loads), static shared memory from the build's "
        + "`-Xptxas -v` log; launch shapes from `bench/launch_shapes/*.json`; occupancy = resident warps / 64 "
        + "by the occupancy-calculator rules (64K registers in 256-register warp units with warp allocation "
        + "granularity 4, 32 blocks, 164 KiB (sm_80) / 228 KiB (sm_90) shared memory per SM with 1 KiB "
        + "reserved per block).\n\n");
    b.append("| kernel | arch | regs | spills (st/ld B) | static smem | block | dyn smem | blocks/SM | occupancy "
        + "| limited by |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
    Map<String, Map<String, JsonNode>> byKernel = new TreeMap<>();
    for (JsonNode f : ptxas.path("functions")) {
      if (f.path("entry").asBoolean() && STATIC_ARCHS.contains(f.path("arch").asText())) {
        byKernel.computeIfAbsent(f.get("name").asText(), k -> new TreeMap<>()).put(f.get("arch").asText(), f);
      }
    }
    List<String> unknownShape = new ArrayList<>();
    for (Map.Entry<String, Map<String, JsonNode>> e : byKernel.entrySet()) {
      LaunchShapes.Shape shape = shapes.get(e.getKey());
      if (shape == null) {
        unknownShape.add(e.getKey());
      }
      for (String arch : STATIC_ARCHS) {
        JsonNode f = e.getValue().get(arch);
        if (f == null) {
          continue;
        }
        int regs = f.path("registers").asInt();
        int smem = f.path("static_smem").asInt();
        b.append("| `").append(e.getKey()).append("` | ").append(arch).append(" | ").append(regs).append(" | ")
            .append(f.path("spill_stores").asText("?")).append("/").append(f.path("spill_loads").asText("?"))
            .append(" | ").append(smem).append(" | ");
        if (shape == null) {
          b.append("? | ? | ? | ? | launch shape not in bench/launch_shapes |\n");
          continue;
        }
        Occupancy.Result o = Occupancy.compute(Occupancy.ARCHS.get(arch), regs, smem, shape.threads(),
            shape.dynamicSmem());
        b.append(shape.describeBlock()).append(" | ").append(shape.dynamicSmem());
        if (shape.dynamicSmemMax() > shape.dynamicSmem()) {
          b.append(" (max ").append(shape.dynamicSmemMax()).append(")");
        }
        b.append(" | ");
        if (o.error() != null) {
          b.append("0 | 0 % | cannot launch: ").append(o.error()).append(" |\n");
          continue;
        }
        b.append(o.blocksPerSm()).append(" | ").append(String.format(Locale.ROOT, "%.1f %%", 100 * o.occupancy()))
            .append(" | ").append(o.limiter());
        if (shape.dynamicSmemMax() > shape.dynamicSmem()) {
          // The largest launch the launcher allows may fit fewer blocks: say so next to the typical one.
          Occupancy.Result w = Occupancy.compute(Occupancy.ARCHS.get(arch), regs, smem, shape.threads(),
              shape.dynamicSmemMax());
          b.append(w.error() != null ? "; at max: cannot launch: " + w.error()
              : String.format(Locale.ROOT, "; at max: %d blocks, %.1f %% (%s)", w.blocksPerSm(),
                  100 * w.occupancy(), w.limiter()));
        }
        b.append(" |\n");
      }
    }
    if (!unknownShape.isEmpty()) {
      b.append("\nKernels without a launch shape in bench/launch_shapes/*.json (their family should add one): ")
          .append(String.join(", ", unknownShape)).append(".\n");
    }
    return b.toString();
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** A 1-minute load average at or above this when the run starts means someone else is using the machine. */
  static final double BUSY_LOAD = 0.75;

  static double firstNumber(String s) {
    try {
      return Double.parseDouble(s.trim().split("\\s+")[0]);
    } catch (RuntimeException e) {
      return 0;
    }
  }

  static String key(String id, String backend, String pass) {
    return id + "|" + backend + "|" + pass;
  }

  static List<Double> doubles(JsonNode arr) {
    List<Double> out = new ArrayList<>();
    if (arr != null) {
      for (JsonNode v : arr) {
        out.add(v.asDouble());
      }
    }
    return out;
  }

  private static String text(JsonNode n, String field) {
    return n == null ? "?" : n.path(field).asText("?");
  }

  static JsonNode read(Path p) throws IOException {
    if (!Files.exists(p)) {
      throw new IOException("bench report: missing " + p + " (did every step of bench/run finish?)");
    }
    return JSON.readTree(p.toFile());
  }

  static JsonNode readOptional(Path p) throws IOException {
    return Files.exists(p) ? JSON.readTree(p.toFile()) : null;
  }

  /** A number without trailing zeros: 5 → "5", 2.5 → "2.5", 0.2 → "0.2". */
  public static String num(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    String s = String.format(Locale.ROOT, "%.3g", v);
    if (s.contains(".") && !s.contains("e")) {
      s = s.replaceAll("0+$", "").replaceAll("\\.$", "");
    }
    return s;
  }

  /** 3 significant digits, no exponent for 0.001..99999. */
  public static String num3(double v) {
    if (v >= 100) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    if (v >= 10) {
      return String.format(Locale.ROOT, "%.1f", v);
    }
    return String.format(Locale.ROOT, "%.2f", v);
  }
}
