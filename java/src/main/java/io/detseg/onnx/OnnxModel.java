package io.detseg.onnx;

import io.detseg.onnx.proto.AttributeProto;
import io.detseg.onnx.proto.ModelProto;
import io.detseg.onnx.proto.NodeProto;
import io.detseg.onnx.proto.ValueInfoProto;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A one-node ONNX model, as each ONNX operator conformance test ships: which op, its attributes, and
 * the names of the graph's inputs and outputs (in the order of the test's input_N.pb / output_N.pb).
 */
public final class OnnxModel {
  private final ModelProto model;
  private final NodeProto node;

  private OnnxModel(ModelProto model, String what) {
    this.model = model;
    if (model.getGraph().getNodeCount() != 1) {
      throw new IllegalArgumentException("onnx " + what + ": expected a graph with one node but got "
          + model.getGraph().getNodeCount());
    }
    this.node = model.getGraph().getNode(0);
  }

  public static OnnxModel read(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return new OnnxModel(ModelProto.parseFrom(in), file.toString());
    }
  }

  public String opType() {
    return node.getOpType();
  }

  /** Graph inputs that are not initializers, in order. */
  public List<String> inputs() {
    List<String> init = model.getGraph().getInitializerList().stream().map(t -> t.getName())
        .collect(Collectors.toList());
    return model.getGraph().getInputList().stream().map(ValueInfoProto::getName).filter(n -> !init.contains(n))
        .collect(Collectors.toList());
  }

  public List<String> outputs() {
    return model.getGraph().getOutputList().stream().map(ValueInfoProto::getName).collect(Collectors.toList());
  }

  /** The node's input names; "" marks an omitted optional input. */
  public List<String> nodeInputs() {
    return node.getInputList();
  }

  public Optional<AttributeProto> attribute(String name) {
    return node.getAttributeList().stream().filter(a -> a.getName().equals(name)).findFirst();
  }

  public long intAttr(String name, long fallback) {
    return attribute(name).map(AttributeProto::getI).orElse(fallback);
  }

  public float floatAttr(String name, float fallback) {
    return attribute(name).map(AttributeProto::getF).orElse(fallback);
  }

  public String stringAttr(String name, String fallback) {
    return attribute(name).map(a -> a.getS().toStringUtf8()).orElse(fallback);
  }

  public long[] intsAttr(String name) {
    return attribute(name).map(a -> a.getIntsList().stream().mapToLong(Long::longValue).toArray()).orElse(null);
  }

  public float[] floatsAttr(String name) {
    return attribute(name).map(a -> {
      float[] f = new float[a.getFloatsCount()];
      for (int i = 0; i < f.length; i++) {
        f[i] = a.getFloats(i);
      }
      return f;
    }).orElse(null);
  }
}
