package io.detseg.nativelib;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Loads libdetseg.so (CPU backend, CUDA simulator, host-built kernels) from the jar. The library is
 * extracted to a private temporary directory (mode 700) that is deleted at exit, so two JVMs never
 * share or overwrite each other's copy. Failure is remembered and reported by every caller.
 */
public final class NativeLibrary {
  static final String RESOURCE_DIR = "/io/detseg/native/linux-x86_64/";
  private static final String LIBRARY = "libdetseg.so";

  private static volatile boolean loaded;
  private static volatile Throwable failure;

  private NativeLibrary() {}

  /** Loads the library once; throws IllegalStateException with the reason if it cannot be loaded. */
  public static void ensureLoaded() {
    if (loaded) {
      return;
    }
    synchronized (NativeLibrary.class) {
      if (loaded) {
        return;
      }
      if (failure != null) {
        throw new IllegalStateException("detseg native library unavailable: " + failure.getMessage(), failure);
      }
      try {
        String os = System.getProperty("os.name", "").toLowerCase();
        String arch = System.getProperty("os.arch", "");
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
          throw new UnsatisfiedLinkError("detseg ships a native library for linux-x86_64 only, this is "
              + os + "-" + arch);
        }
        Path dir = privateTempDir();
        Path lib = extract(LIBRARY, dir);
        System.load(lib.toAbsolutePath().toString());
        loaded = true;
      } catch (Throwable t) {
        failure = t;
        throw new IllegalStateException("detseg native library unavailable: " + t.getMessage(), t);
      }
    }
  }

  /** Whether the library loads; never throws. */
  public static boolean isAvailable() {
    try {
      ensureLoaded();
      return true;
    } catch (IllegalStateException e) {
      return false;
    }
  }

  /** Reads a resource shipped next to the library (e.g. the fatbin), or null if it was not built. */
  public static byte[] readResource(String name) {
    try (InputStream in = NativeLibrary.class.getResourceAsStream(RESOURCE_DIR + name)) {
      return in == null ? null : in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read bundled resource " + name + ": " + e.getMessage(), e);
    }
  }

  private static Path extract(String name, Path dir) throws IOException {
    try (InputStream in = NativeLibrary.class.getResourceAsStream(RESOURCE_DIR + name)) {
      if (in == null) {
        throw new UnsatisfiedLinkError(name + " is not in the jar (was the native build skipped?)");
      }
      Path out = dir.resolve(name);
      Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
      return out;
    }
  }

  private static Path privateTempDir() throws IOException {
    Path dir = Files.createTempDirectory("detseg-native-",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir), "detseg-native-cleanup"));
    return dir;
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // Best effort: the OS temp cleaner removes what is left.
    }
  }
}
