package io.detseg.models.faceapi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Where the face-api weights live and how to get them. Looked up in an explicit folder, else in the
 * cache: $DETSEG_CACHE/models/face-api, or ~/.cache/detseg/models/face-api ($XDG_CACHE_HOME
 * respected). {@link #fetch} fills the cache from the npm registry with the ordinary npm client.
 */
public final class FaceApiWeights {
  public static final String PACKAGE = "@vladmandic/face-api@1.7.15";
  static final List<String> FILES = List.of(
      "ssd_mobilenetv1_model-weights_manifest.json", "ssd_mobilenetv1_model.bin",
      "tiny_face_detector_model-weights_manifest.json", "tiny_face_detector_model.bin");

  private FaceApiWeights() {}

  public static Path cacheDir() {
    String env = System.getenv("DETSEG_CACHE");
    if (env != null && !env.isBlank()) {
      return Path.of(env, "models", "face-api");
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("detseg").resolve("models").resolve("face-api");
  }

  /** The folder holding a model's manifest: {@code explicit} if given, else the cache. */
  public static Path locate(Path explicit, String manifest) {
    Path dir = explicit != null ? explicit : cacheDir();
    if (!Files.isRegularFile(dir.resolve(manifest))) {
      throw new IllegalArgumentException("weights: " + manifest + " not found in " + dir
          + (explicit != null ? "" : "; run `detseg models fetch face-api` or pass --weights DIR"));
    }
    return dir;
  }

  /** Runs `npm pack` for the pinned package and extracts the two models into the cache. */
  public static Path fetch() throws IOException, InterruptedException {
    Path cache = cacheDir();
    Files.createDirectories(cache);
    Path work = Files.createTempDirectory("detseg-npm-");
    try {
      run(work, List.of("npm", "pack", PACKAGE, "--silent"), "npm is required to fetch the face-api weights"
          + " (Debian: apt-get install npm)");
      Path tgz;
      try (Stream<Path> s = Files.list(work)) {
        tgz = s.filter(p -> p.getFileName().toString().endsWith(".tgz")).findFirst()
            .orElseThrow(() -> new IOException("npm pack produced no .tgz"));
      }
      List<String> tar = new ArrayList<>(List.of("tar", "-xzf", tgz.toString(), "-C", work.toString()));
      for (String f : FILES) {
        tar.add("package/model/" + f);
      }
      run(work, tar, "tar is required to unpack the npm package");
      for (String f : FILES) {
        Files.copy(work.resolve("package").resolve("model").resolve(f), cache.resolve(f),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      return cache;
    } finally {
      try (Stream<Path> walk = Files.walk(work)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void run(Path dir, List<String> command, String missing) throws IOException, InterruptedException {
    Process p;
    try {
      p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IllegalStateException(missing + ": " + e.getMessage(), e);
    }
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + out.trim());
    }
  }
}
