package io.detseg.perf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Facts about this machine for the report header, read from /proc (Linux). */
public final class MachineInfo {
  private MachineInfo() {}

  /** "model name" of the first CPU in /proc/cpuinfo, or "unknown CPU". */
  public static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException e) {
      // fall through
    }
    return "unknown CPU";
  }

  public static int logicalCpus() {
    return Runtime.getRuntime().availableProcessors();
  }

  /** A field of /proc/meminfo in bytes (e.g. "MemTotal"), or -1. */
  public static long meminfoBytes(String field) {
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/meminfo"));
      for (String line : lines) {
        if (line.startsWith(field + ":")) {
          String[] parts = line.substring(field.length() + 1).trim().split("\\s+");
          long v = Long.parseLong(parts[0]);
          return parts.length > 1 && parts[1].equalsIgnoreCase("kB") ? v * 1024 : v;
        }
      }
    } catch (IOException | RuntimeException e) {
      // fall through
    }
    return -1;
  }

  /** The three load averages of /proc/loadavg, e.g. "1.22 1.62 2.10", or "?". */
  public static String loadAverage() {
    try {
      String[] p = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return p[0] + " " + p[1] + " " + p[2];
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }

  /** e.g. "OpenJDK 64-Bit Server VM 17.0.15+6-Debian-1deb12u1". */
  public static String jdk() {
    return System.getProperty("java.vm.name", "?") + " " + System.getProperty("java.runtime.version",
        System.getProperty("java.version", "?"));
  }
}
