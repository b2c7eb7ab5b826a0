package io.detseg.testing;

import io.detseg.onnx.OnnxModel;
import io.detseg.onnx.OnnxTensors;
import io.detseg.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * ONNX's per-operator conformance cases from Debian's libonnx-testdata
 * (/usr/share/libonnx-testdata/data/node/test_*), which tools/install-test-deps.sh installs.
 */
public final class OnnxConformance {
  public static final Path ROOT = Path.of("/usr/share/libonnx-testdata/data/node");

  /** One test_data_set_N of a case: inputs and expected outputs in graph order (CPU tensors). */
  public record DataSet(List<Tensor> inputs, List<Tensor> outputs) implements AutoCloseable {
    @Override
    public void close() {
      inputs.forEach(Tensor::close);
      outputs.forEach(Tensor::close);
    }
  }

  private OnnxConformance() {}

  /** Case directories whose name starts with the prefix; fails (never skips) when none exist. */
  public static List<Path> cases(String prefix) throws IOException {
    if (!Files.isDirectory(ROOT)) {
      throw new IllegalStateException("ONNX conformance data missing at " + ROOT
          + ": run tools/install-test-deps.sh (installs Debian's libonnx-testdata)");
    }
    try (Stream<Path> s = Files.list(ROOT)) {
      List<Path> found = s.filter(p -> p.getFileName().toString().startsWith(prefix)).sorted()
          .collect(Collectors.toList());
      if (found.isEmpty()) {
        throw new IllegalStateException("no ONNX conformance case starts with " + prefix + " under " + ROOT);
      }
      return found;
    }
  }

  public static OnnxModel model(Path caseDir) throws IOException {
    return OnnxModel.read(caseDir.resolve("model.onnx"));
  }

  public static List<DataSet> dataSets(Path caseDir) throws IOException {
    List<DataSet> sets = new ArrayList<>();
    try (Stream<Path> s = Files.list(caseDir)) {
      for (Path d : s.filter(p -> p.getFileName().toString().startsWith("test_data_set_")).sorted()
          .collect(Collectors.toList())) {
        sets.add(new DataSet(read(d, "input_"), read(d, "output_")));
      }
    }
    return sets;
  }

  private static List<Tensor> read(Path dir, String prefix) throws IOException {
    List<Tensor> out = new ArrayList<>();
    for (int i = 0; ; i++) {
      Path p = dir.resolve(prefix + i + ".pb");
      if (!Files.exists(p)) {
        return out;
      }
      out.add(OnnxTensors.read(p));
    }
  }
}
