package io.detseg.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** The project's shared data folder, `shared/` beside the checkout (e.g. shared/data/faceapi). */
public final class SharedData {
  private SharedData() {}

  /** Finds shared/data/NAME by walking up from the working directory; fails clearly if absent. */
  public static Path dataDir(String name) {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("shared").resolve("data").resolve(name);
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException("shared/data/" + name + " not found beside the checkout (CI puts shared/ there)");
  }
}
