package io.detseg.cli;

import io.detseg.models.faceapi.FaceApiWeights;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** `detseg models fetch face-api`: fills the weights cache with the ordinary npm client. */
@Command(name = "models", mixinStandardHelpOptions = true,
    description = "Manage pretrained weights. `models fetch face-api` downloads " + FaceApiWeights.PACKAGE
        + " with npm into the cache; `models where` prints the cache folder.")
final class ModelsCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "ACTION", description = "fetch or where")
  String action;

  @Parameters(index = "1", arity = "0..1", paramLabel = "NAME", description = "face-api")
  String name;

  @Override
  public Integer call() throws Exception {
    switch (action) {
      case "where":
        System.out.println(FaceApiWeights.cacheDir());
        return 0;
      case "fetch":
        if (!"face-api".equals(name)) {
          throw new IllegalArgumentException("models fetch: expected the name face-api but got "
              + (name == null ? "nothing" : "'" + name + "'"));
        }
        Path dir = FaceApiWeights.fetch();
        System.out.println("face-api weights (" + FaceApiWeights.PACKAGE + ") are in " + dir);
        return 0;
      default:
        throw new IllegalArgumentException("models: expected the action fetch or where but got '" + action + "'");
    }
  }
}
