package io.detseg.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.detseg.backend.Backends;
import io.detseg.perf.BenchCase;
import io.detseg.perf.BenchCases;
import io.detseg.perf.Report;
import io.detseg.perf.ResultsWriter;
import io.detseg.perf.Stats;
import io.detseg.tensor.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * detseg's side of bench/run: runs {@link OpBenchmark} through JMH once per (case, backend, pass) of
 * WORK/cases.json (or of the one case --only names), each in its own forked JVM, with the warm-up and
 * iterations bench/run fixes. Writes WORK/jmh/&lt;case&gt;.&lt;backend&gt;.&lt;pass&gt;.json (JMH's JSON), .log
 * (JMH's text output) and WORK/jmh/index.json (every job, its files or its error, and the backends'
 * descriptions; with --only, that case's jobs replace its earlier ones in an existing index, so
 * bench/run can time the cases one at a time, each next to its peer). Prints one progress line per job.
 *
 * <pre>java -cp bench/target/detseg-benchmarks.jar io.detseg.bench.BenchMain --work DIR
 *     --warmup N --iterations N --iteration-ms T [--cuda auto|off] [--only CASE]</pre>
 */
public final class BenchMain {
  private BenchMain() {}

  static Path workDir() {
    String w = System.getProperty("detseg.bench.work");
    if (w == null) {
      throw new IllegalStateException("bench: -Ddetseg.bench.work is not set (run through bench/run)");
    }
    return Path.of(w);
  }

  public static void main(String[] args) throws IOException {
    Path work = null;
    int warmup = 3;
    int iterations = 10;
    int iterationMs = 100;
    boolean cudaAllowed = true;
    String only = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String v = i + 1 < args.length ? args[i + 1] : null;
      switch (a) {
        case "--work" -> work = Path.of(v).toAbsolutePath();
        case "--warmup" -> warmup = Integer.parseInt(v);
        case "--iterations" -> iterations = Integer.parseInt(v);
        case "--iteration-ms" -> iterationMs = Integer.parseInt(v);
        case "--cuda" -> cudaAllowed = !"off".equals(v);
        case "--only" -> only = v;
        default -> throw new IllegalArgumentException("BenchMain: unknown argument " + a);
      }
      i++;
    }
    if (work == null) {
      throw new IllegalArgumentException("BenchMain: --work DIR is required");
    }
    ObjectMapper json = new ObjectMapper();
    List<BenchCase> cases = BenchCases.fromJson(json.readTree(work.resolve("cases.json").toFile()));
    if (only != null) {
      final String id = only;
      cases = cases.stream().filter(c -> c.id().equals(id)).toList();
      if (cases.isEmpty()) {
        throw new IllegalArgumentException("BenchMain: --only " + id + ": no such case in " + work.resolve("cases.json"));
      }
    }
    Path jmhDir = work.resolve("jmh");
    Files.createDirectories(jmhDir);

    ObjectNode index = json.createObjectNode();
    ObjectNode backendsNode = index.putObject("backends");
    List<String> backends = new ArrayList<>(List.of("cpu"));
    backendsNode.put("cpu", Backends.get(Device.CPU).describe());
    if (cudaAllowed && Backends.isAvailable(Device.CUDA)) {
      backends.add("cuda");
      backendsNode.put("cuda", Backends.get(Device.CUDA).describe());
    } else {
      backendsNode.put("cuda", cudaAllowed ? "not timed: " + Backends.unavailableReason(Device.CUDA) : "not timed (--cuda off)");
    }
    backendsNode.put("cuda-sim", "never timed (a simulator)");

    List<String[]> jobs = new ArrayList<>();
    for (String backend : backends) {
      for (BenchCase c : cases) {
        for (String pass : c.passes()) {
          jobs.add(new String[] {c.id(), backend, pass});
        }
      }
    }
    ArrayNode jobsNode = index.putArray("jobs");
    Path indexFile = jmhDir.resolve("index.json");
    if (only != null && Files.exists(indexFile)) {
      for (JsonNode j : json.readTree(indexFile.toFile()).path("jobs")) {
        if (!j.path("case").asText().equals(only)) {
          jobsNode.add(j);
        }
      }
    }
    int n = jobs.size();
    for (int i = 0; i < n; i++) {
      String id = jobs.get(i)[0];
      String backend = jobs.get(i)[1];
      String pass = jobs.get(i)[2];
      String stem = id + "." + backend + "." + pass;
      System.out.printf(Locale.ROOT, "[detseg %d/%d] %s %s %s ... ", i + 1, n, id, pass, backend);
      System.out.flush();
      ObjectNode job = jobsNode.addObject();
      job.put("case", id);
      job.put("backend", backend);
      job.put("pass", pass);
      Path result = jmhDir.resolve(stem + ".json");
      Path log = jmhDir.resolve(stem + ".log");
      Path events = jmhDir.resolve(stem + ".events.json");
      Files.deleteIfExists(result);
      Files.deleteIfExists(events);
      Options opts = new OptionsBuilder()
          .include(OpBenchmark.class.getName() + "\\." + pass + "$")
          .param("caseId", id)
          .param("backend", backend)
          .warmupIterations(warmup)
          .warmupTime(TimeValue.milliseconds(iterationMs))
          .measurementIterations(iterations)
          .measurementTime(TimeValue.milliseconds(iterationMs))
          .forks(1)
          // Serial GC: on a 2-core machine G1's background threads take a core from the OpenMP team.
          .jvmArgsAppend("-XX:+UseSerialGC", "-Ddetseg.bench.work=" + work, "-Ddetseg.bench.events=" + events)
          .resultFormat(ResultFormatType.JSON)
          .result(result.toString())
          .output(log.toString())
          .shouldFailOnError(true)
          .build();
      String error = null;
      try {
        new Runner(opts).run();
      } catch (RunnerException | RuntimeException e) {
        error = firstError(log, e);
      }
      if (error == null && !Files.exists(result)) {
        error = firstError(log, null);
      }
      if (error != null) {
        job.put("error", error);
        System.out.println("FAILED: " + error + " (see " + log + ")");
        continue;
      }
      job.put("jmh", result.getFileName().toString());
      if (backend.equals("cuda") && Files.exists(events)) {
        job.put("events", events.getFileName().toString());
      }
      JsonNode res = json.readTree(result.toFile());
      Stats s = Stats.of(Report.jmhIterationsUs(res));
      System.out.println("median " + ResultsWriter.time(s.medianUs()) + ", min " + ResultsWriter.time(s.minUs()));
    }
    json.writerWithDefaultPrettyPrinter().writeValue(indexFile.toFile(), index);
  }

  /** The benchmark's exception line from JMH's log (the forked JVM prints it there), or the runner's message. */
  private static String firstError(Path log, Exception e) {
    try {
      if (Files.exists(log)) {
        for (String line : Files.readAllLines(log)) {
          String t = line.trim();
          if (t.matches("^([a-zA-Z_$][\\w$]*\\.)+[A-Z][\\w$]*(Exception|Error)(: .*)?$")) {
            return t;
          }
        }
      }
    } catch (IOException ignored) {
      // fall through
    }
    if (e == null) {
      return "JMH wrote no result (see the log)";
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().split("\n")[0];
  }
}
