package io.detseg.perf;

import io.detseg.nativelib.NativeLibrary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What this machine can do at best, measured (native/cpu/machine_limits.cpp): the fp32 FMA peak per
 * instruction set on one thread and on all of detseg's threads, and the STREAM triad bandwidth over
 * arrays much larger than the last-level cache. The benchmark report divides op throughput by these.
 */
public final class MachineLimits {
  static {
    NativeLibrary.ensureLoaded();
  }

  /** FMA peak of one instruction set; gflops is null when the CPU lacks it. */
  public record Peak(String isa, int threads, Double gflops) {}

  /** STREAM triad: three float arrays of arrayBytes each, best and median GB/s over reps passes. */
  public record Stream(int threads, long arrayBytes, long llcBytes, int reps, double bestGbs, double medianGbs) {}

  /** Everything `detseg bench --limits` measures. */
  public record Limits(String compiler, int threads, List<Peak> peaks, Stream stream) {
    /** The highest all-thread FMA peak (the denominator of "% of peak"), or null. */
    public Double bestPeakAllThreads() {
      Double best = null;
      for (Peak p : peaks) {
        if (p.threads() == threads && p.gflops() != null && (best == null || p.gflops() > best)) {
          best = p.gflops();
        }
      }
      return best;
    }

    /** The ISA of {@link #bestPeakAllThreads()}. */
    public String bestIsa() {
      Peak best = null;
      for (Peak p : peaks) {
        if (p.threads() == threads && p.gflops() != null && (best == null || p.gflops() > best.gflops())) {
          best = p;
        }
      }
      return best == null ? null : best.isa();
    }

    /** Human-readable lines, as `detseg bench --limits` prints them. */
    public List<String> describe() {
      List<String> out = new ArrayList<>();
      out.add("compiler of libdetseg: " + compiler + "; OpenMP threads: " + threads);
      for (Peak p : peaks) {
        out.add(String.format(Locale.ROOT, "fp32 FMA peak  %-7s %2d thread%s  %s", p.isa(), p.threads(),
            p.threads() == 1 ? " " : "s", p.gflops() == null ? "not supported by this CPU"
                : String.format(Locale.ROOT, "%8.1f GFLOP/s", p.gflops())));
      }
      out.add(String.format(Locale.ROOT,
          "STREAM triad   %2d threads, 3 arrays x %d MiB (LLC %d MiB): best %.1f GB/s, median %.1f GB/s (%d passes)",
          stream.threads(), stream.arrayBytes() >> 20, stream.llcBytes() >> 20, stream.bestGbs(),
          stream.medianGbs(), stream.reps()));
      return out;
    }
  }

  private MachineLimits() {}

  /** The instruction sets measured, best first: their names and the codes the native side takes. */
  private static final String[] ISA_NAMES = {"avx512", "avx2"};
  private static final int[] ISA_CODES = {1, 0};

  static native boolean supports(int isa);

  static native double fmaPeak(int isa, int threads, double minSeconds, int reps);

  static native double[] streamTriad(long n, int threads, int reps);

  /** omp_get_max_threads() of libdetseg: the thread count detseg's CPU ops use. */
  public static native int maxThreads();

  /** The compiler that built libdetseg (e.g. "g++ 12.2.0"). */
  public static native String compiler();

  /** Measures everything; quick uses shorter runs and fewer STREAM passes (same array size). */
  public static Limits measure(boolean quick) {
    int threads = maxThreads();
    double seconds = quick ? 0.05 : 0.2;
    int reps = quick ? 3 : 5;
    List<Peak> peaks = new ArrayList<>();
    for (int i = 0; i < ISA_CODES.length; i++) {
      boolean ok = supports(ISA_CODES[i]);
      peaks.add(new Peak(ISA_NAMES[i], 1, ok ? fmaPeak(ISA_CODES[i], 1, seconds, reps) : null));
      if (threads > 1) {
        peaks.add(new Peak(ISA_NAMES[i], threads, ok ? fmaPeak(ISA_CODES[i], threads, seconds, reps) : null));
      }
    }
    long llc = lastLevelCacheBytes();
    long arrayBytes = streamArrayBytes(llc, availableMemoryBytes());
    int passes = quick ? 5 : 10;
    double[] gbs = streamTriad(arrayBytes / 4, threads, passes);
    return new Limits(compiler(), threads, peaks, new Stream(threads, arrayBytes, llc, passes, gbs[0], gbs[1]));
  }

  /**
   * The all-thread FMA peak of the best instruction set this CPU has, alone (what the full
   * {@link #measure} reports as {@link Limits#bestPeakAllThreads()}), for bench/run to measure it again
   * right before and after a case with a "% peak" target.
   */
  public static Peak measurePeak() {
    int threads = maxThreads();
    for (int i = 0; i < ISA_CODES.length; i++) {
      if (supports(ISA_CODES[i])) {
        return new Peak(ISA_NAMES[i], threads, fmaPeak(ISA_CODES[i], threads, 0.2, 5));
      }
    }
    return new Peak("none", threads, null);
  }

  /**
   * STREAM's rule: each array at least 4x the last-level cache (and at least 64 MiB); capped so the
   * three arrays take at most 3/8 of the available memory. DETSEG_STREAM_MIB overrides the size.
   */
  static long streamArrayBytes(long llcBytes, long availableBytes) {
    String env = System.getenv("DETSEG_STREAM_MIB");
    if (env != null && !env.isBlank()) {
      long mib = Long.parseLong(env.trim());
      if (mib < 1) {
        throw new IllegalArgumentException("DETSEG_STREAM_MIB: expected a size >= 1 (MiB) but got " + env);
      }
      return mib << 20;
    }
    long want = Math.max(4 * llcBytes, 64L << 20);
    long cap = availableBytes > 0 ? availableBytes / 8 : want;
    return Math.max(16L << 20, Math.min(want, cap)) / 4096 * 4096;
  }

  /** The largest cache of cpu0 in sysfs (L3 on this machine kind); 32 MiB when unknown. */
  static long lastLevelCacheBytes() {
    long best = 0;
    Path dir = Path.of("/sys/devices/system/cpu/cpu0/cache");
    for (int i = 0; i < 16; i++) {
      Path size = dir.resolve("index" + i).resolve("size");
      if (!Files.isReadable(size)) {
        continue;
      }
      try {
        best = Math.max(best, parseSize(Files.readString(size).trim()));
      } catch (IOException | RuntimeException e) {
        // an unreadable entry is skipped
      }
    }
    return best > 0 ? best : 32L << 20;
  }

  static long parseSize(String text) {
    String t = text.trim().toUpperCase(Locale.ROOT);
    long mult = 1;
    if (t.endsWith("K")) {
      mult = 1L << 10;
    } else if (t.endsWith("M")) {
      mult = 1L << 20;
    } else if (t.endsWith("G")) {
      mult = 1L << 30;
    }
    if (mult != 1) {
      t = t.substring(0, t.length() - 1);
    }
    return Long.parseLong(t.trim()) * mult;
  }

  /** MemAvailable from /proc/meminfo, or -1. */
  static long availableMemoryBytes() {
    return MachineInfo.meminfoBytes("MemAvailable");
  }
}
