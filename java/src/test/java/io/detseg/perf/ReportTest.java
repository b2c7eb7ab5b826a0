package io.detseg.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report pieces on hand-made data: no timing happens here. */
class ReportTest {
  @TempDir
  Path dir;

  private static BenchCase.Target target(Double ratio, Double peak, Double bw) {
    return new BenchCase.Target(ratio, peak, bw, List.of("cpu"), List.of(), "");
  }

  private static ResultRow row(Stats d, Stats p, Double flops, Double bytes, BenchCase.Target t) {
    return new ResultRow("conv2d", "conv_3x3", "cpu", "forward", d, d == null ? "boom" : null, p,
        p == null ? "peer broke" : null, flops, bytes, t, 400.0, 20.0);
  }

  @Test
  void statsTakeMedianAndMinOfIterations() {
    Stats s = Stats.of(5, 1, 3, 2);
    assertEquals(2.5, s.medianUs());
    assertEquals(1, s.minUs());
    assertEquals(4, s.iterations());
    assertEquals(3, Stats.of(3, 9, 1).medianUs());
    assertThrows(IllegalArgumentException.class, () -> Stats.of(List.of()));
  }

  @Test
  void derivedFiguresAndVerdicts() {
    // detseg 1000 µs, peer 3000 µs -> ratio 3; 2e8 flops / 1 ms = 200 GFLOP/s = 50 % of 400; 1e7 B / 1 ms = 10 GB/s = 50 % of 20.
    ResultRow r = row(Stats.of(1000), Stats.of(3000), 2e8, 1e7, target(2.0, null, null));
    assertEquals(3.0, r.ratio(), 1e-12);
    assertEquals(200.0, r.gflops(), 1e-9);
    assertEquals(50.0, r.peakPct(), 1e-9);
    assertEquals(10.0, r.gbs(), 1e-9);
    assertEquals(50.0, r.bandwidthPct(), 1e-9);
    assertEquals("met", r.verdict());
    assertEquals("NOT met", row(Stats.of(1000), Stats.of(3000), 2e8, null, target(2.0, 60.0, null)).verdict());
    assertEquals("n/a", row(Stats.of(1000), null, null, null, target(2.0, null, null)).verdict());
    assertEquals("NOT met", row(Stats.of(1000), null, 1e5, null, target(2.0, 60.0, null)).verdict(),
        "a bound that fails decides even when another is unknown");
    assertEquals("", row(Stats.of(1000), Stats.of(1000), null, null, null).verdict());
    BenchCase.Target cudaOnly = new BenchCase.Target(2.0, null, null, List.of("cuda"), List.of(), "");
    assertEquals("", row(Stats.of(1), Stats.of(1), null, null, cudaOnly).verdict(), "target for another backend");
    assertNull(row(null, Stats.of(1), 1e9, 1e9, null).gflops());
  }

  @Test
  void csvHasOneQuotedLinePerRow() {
    ResultRow ok = row(Stats.of(1000, 900), Stats.of(3000, 2500), null, 1e7, target(2.0, null, null));
    ResultRow failed = row(null, Stats.of(10), null, null, null);
    String csv = ResultsWriter.csv(List.of(ok, failed));
    String[] lines = csv.split("\n");
    assertEquals(3, lines.length);
    assertEquals(ResultsWriter.CSV_HEADER, lines[0]);
    assertEquals("conv2d,conv_3x3,cpu,forward,950.000,900.000,2750.00,2500.00,2.89474,,,10.5263,52.6316,≥ 2× peer,met,",
        lines[1]);
    assertTrue(lines[2].startsWith("conv2d,conv_3x3,cpu,forward,,,10.0000,10.0000,,"), lines[2]);
    assertTrue(lines[2].endsWith(",detseg: boom"), lines[2]);
    assertEquals("\"a,\"\"b\"\"\"", ResultsWriter.csvField("a,\"b\""));
  }

  @Test
  void markdownTableAndTimes() {
    ResultRow ok = row(Stats.of(1000), Stats.of(500), 2e8, null, target(2.0, null, null));
    String md = ResultsWriter.markdown(List.of(ok, row(null, null, null, null, null)));
    String[] lines = md.split("\n");
    assertEquals(4, lines.length);
    assertTrue(lines[2].contains("| 1.00 ms | 1.00 ms | 500 µs | 500 µs | 0.50 | 200.0 | 50.0 | - | - | ≥ 2× peer | **NOT met** |"),
        lines[2]);
    assertTrue(lines[3].contains("| failed¹ |"), lines[3]);
    assertEquals("812 ns", ResultsWriter.time(0.812));
    assertEquals("12.3 µs", ResultsWriter.time(12.34));
    assertEquals("4.57 ms", ResultsWriter.time(4567));
    assertEquals("1.23 s", ResultsWriter.time(1.234e6));
    assertEquals("5", Report.num(5.0));
    assertEquals("0.2", Report.num(0.2));
  }

  @Test
  void jmhRawDataIsReadInMicroseconds() throws Exception {
    String jmh = "[{\"benchmark\": \"io.detseg.bench.OpBenchmark.forward\", \"mode\": \"avgt\", \"primaryMetric\":"
        + " {\"score\": 2.0, \"scoreUnit\": \"ms/op\", \"rawData\": [[1.5, 2.0, 2.5]]}}]";
    assertEquals(List.of(1500.0, 2000.0, 2500.0), Report.jmhIterationsUs(Report.JSON.readTree(jmh)));
    String bad = "[{\"primaryMetric\": {\"scoreUnit\": \"ops/s\", \"rawData\": [[1]]}}]";
    assertThrows(IllegalArgumentException.class, () -> Report.jmhIterationsUs(Report.JSON.readTree(bad)));
  }

  @Test
  void chartIsAPngWithOneBarPerComparedRow() throws Exception {
    List<ResultRow> rows = List.of(row(Stats.of(1000), Stats.of(3000), null, null, target(5.0, null, null)),
        row(Stats.of(1000), Stats.of(300), null, null, null), row(null, Stats.of(1), null, null, null));
    Path png = dir.resolve("c.png");
    RatioChart.write(rows, "test", png);
    BufferedImage img = ImageIO.read(png.toFile());
    assertNotNull(img);
    assertEquals(56 + 44 + 2 * 22, img.getHeight(), "two rows have both sides");
  }

  /** A bench directory under the temp dir with one case file and an empty launch_shapes/. */
  private Path benchDir(String name, String caseFile, String casesJson) throws java.io.IOException {
    Path bench = dir.resolve(name);
    Files.createDirectories(bench.resolve("cases"));
    Files.createDirectories(bench.resolve("launch_shapes"));
    Files.writeString(bench.resolve("cases").resolve(caseFile), casesJson);
    return bench;
  }

  @Test
  void wholeReportFromAWorkDirectory() throws Exception {
    Path bench = benchDir("bench", "basic.json", "{\"cases\": [{\"id\": \"relu_big\", \"op\": \"relu\","
        + " \"backward\": true, \"quick\": true, \"inputs\": {\"input\": {\"gen\": \"normal\", \"shape\": [4],"
        + " \"mean\": 0, \"std\": 1}}, \"bytes\": 8e6, \"bytes_backward\": 12e6,"
        + " \"target\": {\"ratio\": 1.0, \"note\": \"parity\"}}]}");
    Files.writeString(bench.resolve("launch_shapes/basic.json"), "{\"kernels\": {\"ds_relu_f32\": {\"block\": 256},"
        + " \"ds_tile\": {\"block\": [32, 8], \"dynamic_smem\": 4096, \"dynamic_smem_max\": 49152}}}");
    Path work = dir.resolve("work");
    Files.createDirectories(work.resolve("jmh"));
    Files.writeString(work.resolve("run.json"), "{\"mode\": \"quick\", \"filter\": \"\", \"warmup_iterations\": 3,"
        + " \"iterations\": 4, \"iteration_ms\": 100, \"git\": \"abc1234\", \"nvcc\": \"nvcc 13.0\","
        + " \"started\": \"2026-11-22 01:00 UTC\", \"finished\": \"2026-11-22 01:03 UTC\", \"load_start\": \"0.1 0.2 0.3\","
        + " \"load_end\": \"0.4 0.5 0.6\"}");
    Files.writeString(work.resolve("limits.json"), "{\"compiler\": \"g++ 12.2.0\", \"threads\": 2, \"peaks\": ["
        + "{\"isa\": \"avx512\", \"threads\": 2, \"gflops\": 400.0}, {\"isa\": \"avx2\", \"threads\": 2, \"gflops\": 200.0}],"
        + " \"stream\": {\"threads\": 2, \"arrayBytes\": 2013265920, \"llcBytes\": 503316480, \"reps\": 5,"
        + " \"bestGbs\": 20.0, \"medianGbs\": 18.0}}");
    Files.writeString(work.resolve("cases.json"), "{\"cases\": [{\"id\": \"relu_big\"}],"
        + " \"skipped\": {\"nms_5000\": \"op 'nms' is not registered in this build\"}}");
    Files.writeString(work.resolve("jmh/index.json"), "{\"backends\": {\"cpu\": \"native C++ (avx512, 2 threads)\"},"
        + " \"jobs\": [{\"case\": \"relu_big\", \"backend\": \"cpu\", \"pass\": \"forward\", \"jmh\": \"f.json\"},"
        + " {\"case\": \"relu_big\", \"backend\": \"cpu\", \"pass\": \"backward\", \"error\": \"java.lang.IllegalStateException: x\"}]}");
    Files.writeString(work.resolve("jmh/f.json"), "[{\"primaryMetric\": {\"scoreUnit\": \"us/op\","
        + " \"rawData\": [[1000, 1100, 900, 1000]]}}]");
    Files.writeString(work.resolve("peer.json"), "{\"torch\": \"1.13.0\", \"torchvision\": \"0.14.1\", \"threads\": 2,"
        + " \"cuda\": \"not available to torch\", \"results\": [{\"case\": \"relu_big\", \"backend\": \"cpu\","
        + " \"pass\": \"forward\", \"iterations_us\": [2000, 2100, 1900, 2000]}, {\"case\": \"relu_big\","
        + " \"backend\": \"cpu\", \"pass\": \"backward\", \"iterations_us\": [3000]}]}");
    Files.writeString(work.resolve("ptxas.json"), "{\"functions\": [{\"name\": \"ds_relu_f32\", \"arch\": \"sm_80\","
        + " \"entry\": true, \"registers\": 18, \"stack_frame\": 0, \"spill_stores\": 0, \"spill_loads\": 0,"
        + " \"static_smem\": 0}, {\"name\": \"ds_relu_f32\", \"arch\": \"sm_90\", \"entry\": true, \"registers\": 42,"
        + " \"stack_frame\": 0, \"spill_stores\": 0, \"spill_loads\": 0, \"static_smem\": 640},"
        + " {\"name\": \"ds_tile\", \"arch\": \"sm_80\", \"entry\": true, \"registers\": 32, \"stack_frame\": 0,"
        + " \"spill_stores\": 0, \"spill_loads\": 0, \"static_smem\": 0},"
        + " {\"name\": \"ds_other\", \"arch\": \"sm_80\", \"entry\": true, \"registers\": 10, \"stack_frame\": 0,"
        + " \"spill_stores\": 0, \"spill_loads\": 0, \"static_smem\": 0}]}");
    Path out = dir.resolve("results");
    List<ResultRow> rows = Report.generate(bench, work, out);
    assertEquals(2, rows.size());
    assertEquals(2.0, rows.get(0).ratio(), 1e-12);
    assertEquals("met", rows.get(0).verdict());
    assertEquals("n/a", rows.get(1).verdict());
    String md = Files.readString(out.resolve("RESULTS.md"));
    assertTrue(md.contains("`bench/run --quick` (quick run) started 2026-11-22 01:00 UTC"), md);
    assertTrue(md.contains("| relu | relu_big | cpu | forward | 1.00 ms | 900 µs | 2.00 ms | 1.90 ms | 2.00 | - | - | 8.0 | 40.0 | ≥ 1× peer | met |"), md);
    assertTrue(md.contains("- relu_big backward cpu: detseg: java.lang.IllegalStateException: x."), md);
    assertTrue(md.contains("- nms_5000: op 'nms' is not registered in this build"), md);
    assertTrue(md.contains("| `ds_relu_f32` | sm_80 | 18 | 0/0 | 0 | 256 | 0 | 8 | 100.0 % | warps |"), md);
    // sm_90, 42 regs: 1536 per warp -> 40 warps -> 5 blocks of 8 -> 62.5 %
    assertTrue(md.contains("| `ds_relu_f32` | sm_90 | 42 | 0/0 | 640 | 256 | 0 | 5 | 62.5 % | registers |"), md);
    // typical launch 4 KiB + 1 KiB reserved: 8 blocks; at the 48 KiB max 3 blocks fit 164 KiB
    assertTrue(md.contains("| `ds_tile` | sm_80 | 32 | 0/0 | 0 | 32×8 | 4096 (max 49152) | 8 | 100.0 % | "), md);
    assertTrue(md.contains("; at max: 3 blocks, 37.5 % (shared memory) |"), md);
    assertTrue(md.contains("Kernels without a launch shape in bench/launch_shapes/*.json (their family should add one): ds_other."), md);
    assertFalse(md.contains("cuda-sim |"), "the simulator never appears in timing tables");
    assertFalse(md.contains("Warning: the machine was busy"), "load 0.1 at start is idle");
    Files.writeString(work.resolve("run.json"), Files.readString(work.resolve("run.json")).replace("0.1 0.2 0.3", "2.5 2.0 1.0"));
    Report.generate(bench, work, out);
    assertTrue(Files.readString(out.resolve("RESULTS.md")).contains("**Warning: the machine was busy when this run "
        + "started (1-minute load average 2.5 on "));
    assertEquals(3, Files.readAllLines(out.resolve("results.csv")).size());
    assertNotNull(ImageIO.read(out.resolve("chart.png").toFile()));
  }

  @Test
  void peakTargetsDivideByTheHighestPeakOfTheRunAndNextToTheCase() throws Exception {
    Path bench = benchDir("bench2", "conv.json", "{\"cases\": [{\"id\": \"sgemm_8\", \"op\": \"matmul\","
        + " \"backward\": false, \"quick\": true, \"inputs\": {\"input\": {\"gen\": \"normal\", \"shape\": [8, 8],"
        + " \"mean\": 0, \"std\": 1}, \"other\": {\"gen\": \"normal\", \"shape\": [8, 8], \"mean\": 0, \"std\": 1}},"
        + " \"flops\": 3.4e8, \"target\": {\"peak_pct\": 85, \"note\": \"x\"}}]}");
    Path work = dir.resolve("work2");
    Files.createDirectories(work.resolve("jmh"));
    Files.createDirectories(work.resolve("peaks"));
    Files.writeString(work.resolve("limits.json"), "{\"compiler\": \"g++ 12.2.0\", \"threads\": 2, \"peaks\": ["
        + "{\"isa\": \"avx512\", \"threads\": 2, \"gflops\": 380.0}], \"stream\": {\"threads\": 2,"
        + " \"arrayBytes\": 1, \"llcBytes\": 1, \"reps\": 1, \"bestGbs\": 20.0, \"medianGbs\": 18.0}}");
    Files.writeString(work.resolve("cases.json"), "{\"cases\": [{\"id\": \"sgemm_8\"}]}");
    Files.writeString(work.resolve("jmh/index.json"), "{\"backends\": {}, \"jobs\": [{\"case\": \"sgemm_8\","
        + " \"backend\": \"cpu\", \"pass\": \"forward\", \"jmh\": \"f.json\"}]}");
    // 3.4e8 flops in 1 ms = 340 GFLOP/s: 89.5 % of the run's 380, 85 % of the 400 measured next to it
    Files.writeString(work.resolve("jmh/f.json"), "[{\"primaryMetric\": {\"scoreUnit\": \"us/op\", \"rawData\": [[1000, 1000]]}}]");
    Files.writeString(work.resolve("peaks/sgemm_8.before.json"), "{\"isa\": \"avx512\", \"threads\": 2, \"gflops\": 390.0}");
    Files.writeString(work.resolve("peaks/sgemm_8.after.json"), "{\"isa\": \"avx512\", \"threads\": 2, \"gflops\": 400.0}");
    Files.writeString(work.resolve("peaks/orphan.before.json"), "{\"gflops\": 1.0}");  // no .after: ignored
    Path out = dir.resolve("results2");
    List<ResultRow> rows = Report.generate(bench, work, out);
    assertEquals(85.0, rows.get(0).peakPct(), 1e-9, "divided by the highest: after (400) > before (390) > run (380)");
    assertEquals("met", rows.get(0).verdict());
    assertEquals(List.of("sgemm_8"), List.copyOf(Report.casePeaks(work.resolve("peaks")).keySet()));
    String md = Files.readString(out.resolve("RESULTS.md"));
    assertTrue(md.contains("| sgemm_8 | forward | 340.0 | 390.0 | 400.0 | 85.0 | 89.5 |"), md);
    // peaks measured slow next to the case do not flatter it: the run's 420 decides, 81 % < 85 %
    Files.writeString(work.resolve("limits.json"), Files.readString(work.resolve("limits.json")).replace("380.0", "420.0"));
    List<ResultRow> slow = Report.generate(bench, work, out);
    assertEquals(100.0 * 340 / 420, slow.get(0).peakPct(), 1e-9);
    assertEquals("NOT met", slow.get(0).verdict());
    assertTrue(Files.readString(out.resolve("RESULTS.md")).contains("| sgemm_8 | forward | 340.0 | 390.0 | 400.0 | 81.0 | 81.0 |"));
  }

  @Test
  void streamArraysAreSizedFromTheCacheAndCappedByMemory() {
    assertEquals(2013265920L, MachineLimits.streamArrayBytes(480L << 20, 24L << 30), "4 x LLC");
    assertEquals(64L << 20, MachineLimits.streamArrayBytes(1L << 20, 24L << 30), "at least 64 MiB");
    assertEquals(1L << 30, MachineLimits.streamArrayBytes(480L << 20, 8L << 30), "at most 1/8 of available memory");
    assertEquals(491520L << 10, MachineLimits.parseSize("491520K"));
    assertEquals(2L << 20, MachineLimits.parseSize("2M"));
  }

  @Test
  void nativeMicrobenchmarksRunOnTinySizes() {
    // Only that the JNI entry points work and return sane values: tiny runs, no timing asserted.
    assertTrue(MachineLimits.maxThreads() >= 1);
    assertTrue(MachineLimits.compiler().length() > 3);
    double[] s = MachineLimits.streamTriad(1 << 16, 1, 1);
    assertTrue(s[0] > 0 && s[1] > 0);
    if (MachineLimits.supports(0)) {
      assertTrue(MachineLimits.fmaPeak(0, 1, 0.0, 1) > 0);
    }
  }
}
