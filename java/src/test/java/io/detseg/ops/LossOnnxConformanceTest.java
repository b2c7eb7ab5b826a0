package io.detseg.ops;

import static io.detseg.ops.LossTesting.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.Devices;
import io.detseg.onnx.OnnxModel;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import io.detseg.testing.OnnxConformance;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ONNX's conformance cases for SoftmaxCrossEntropyLoss (test_sce_*) and NegativeLogLikelihoodLoss
 * (test_nllloss_*), every one of them, on every backend. int64 labels load as int32. A *_expanded case
 * is the same op written as a graph of primitive ops: its data sets run through our op with the
 * attributes of the single-node model of the same name without "_expanded".
 */
class LossOnnxConformanceTest {
  static Stream<Arguments> cases() throws Exception {
    List<Path> all = new ArrayList<>(OnnxConformance.cases("test_sce_"));
    all.addAll(OnnxConformance.cases("test_nllloss_"));
    return Devices.all().flatMap(d -> all.stream().map(p -> Arguments.of(d, p.getFileName().toString())));
  }

  @ParameterizedTest(name = "{1} on {0}")
  @MethodSource("cases")
  void passes(Device d, String name) throws Exception {
    Devices.assumeUsable(d);
    Path dir = OnnxConformance.ROOT.resolve(name);
    String single = name.endsWith("_expanded") ? name.substring(0, name.length() - "_expanded".length()) : name;
    OnnxModel model = OnnxConformance.model(OnnxConformance.ROOT.resolve(single));
    String op = model.opType();
    assertTrue(op.equals("SoftmaxCrossEntropyLoss") || op.equals("NegativeLogLikelihoodLoss"), name + ": " + op);
    Reduction reduction = Reduction.parse(op, model.stringAttr("reduction", "mean"));
    boolean hasIgnore = model.attribute("ignore_index").isPresent();
    // ONNX has no default ignore_index: without the attribute nothing is ignored.
    int ignore = hasIgnore ? (int) model.intAttr("ignore_index", 0) : Losses.NO_IGNORE_INDEX;
    List<String> nodeInputs = model.nodeInputs();
    boolean hasWeight = nodeInputs.size() > 2 && !nodeInputs.get(2).isEmpty();
    List<OnnxConformance.DataSet> sets = OnnxConformance.dataSets(dir);
    assertFalse(sets.isEmpty(), name + " has data sets");
    for (OnnxConformance.DataSet set : sets) {
      try (set; Scope s = Scope.open()) {
        Tensor x = set.inputs().get(0).to(d);
        Tensor labels = set.inputs().get(1).to(d);
        Tensor weight = hasWeight ? set.inputs().get(2).to(d) : null;
        if (op.equals("SoftmaxCrossEntropyLoss")) {
          Losses.LossAndLogProb r = Losses.softmaxCrossEntropyLoss(x, labels, weight, ignore, reduction);
          assertClose(set.outputs().get(0), r.loss(), 1e-5, 1e-6, name + " output on " + d);
          if (set.outputs().size() > 1) {
            assertClose(set.outputs().get(1), r.logProb(), 1e-5, 1e-6, name + " log_prob on " + d);
          }
        } else {
          assertEquals(1, set.outputs().size(), name);
          Tensor out = Losses.nllLoss(x, labels, weight, hasIgnore ? ignore : Losses.NO_IGNORE_INDEX, reduction);
          assertClose(set.outputs().get(0), out, 1e-5, 1e-6, name + " output on " + d);
        }
      }
    }
  }
}
