package io.detseg.ops.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.detseg.Devices;
import io.detseg.onnx.proto.AttributeProto;
import io.detseg.onnx.proto.ModelProto;
import io.detseg.onnx.proto.NodeProto;
import io.detseg.ops.Activations;
import io.detseg.ops.BatchNorm;
import io.detseg.ops.Padding;
import io.detseg.ops.Pooling;
import io.detseg.ops.Resize;
import io.detseg.tensor.DType;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import io.detseg.testing.OnnxConformance;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * ONNX's operator conformance cases for the nn family (Debian's libonnx-testdata 1.12), on every backend:
 * MaxPool (2-D, with argmax in ONNX's whole-tensor layout and storage_order), AveragePool, Global*Pool,
 * MaxUnpool, Upsample, Resize, BatchNormalization (inference and training_mode), LeakyRelu, Sigmoid and
 * Pad. Every case under the named prefixes is either supported (and must match) or listed in
 * {@link #REJECTED} with the message detseg gives, so a new case can never pass unnoticed.
 */
class NnOnnxConformanceTest {
  static final List<String> PREFIXES = List.of("test_maxpool_2d", "test_maxpool_with_argmax_2d",
      "test_averagepool_2d", "test_globalaveragepool", "test_globalmaxpool", "test_maxunpool", "test_upsample_nearest",
      "test_resize_", "test_batchnorm", "test_leakyrelu", "test_sigmoid", "test_reflect_pad", "test_edge_pad",
      "test_constant_pad");

  /** Cases detseg rejects, with a fragment of the IllegalArgumentException's message. */
  static final Map<String, String> REJECTED = Map.of(
      "test_maxpool_2d_uint8", "expected dtype float32 but got uint8",
      "test_resize_tf_crop_and_resize", "coordinate_transformation_mode",
      "test_resize_downsample_sizes_nearest_tf_half_pixel_for_nn", "tf_half_pixel_for_nn and tf_crop_and_resize are "
          + "not supported");

  static final double ATOL = 1e-5;
  static final double RTOL = 1e-4;

  static List<Path> allCases() throws IOException {
    List<Path> out = new ArrayList<>();
    for (String p : PREFIXES) {
      out.addAll(OnnxConformance.cases(p));
    }
    return out;
  }

  @Test
  void everyCaseIsSupportedOrRejectedByName() throws IOException {
    TreeSet<String> names = new TreeSet<>();
    for (Path p : allCases()) {
      names.add(p.getFileName().toString());
    }
    for (String r : REJECTED.keySet()) {
      assertTrue(names.contains(r), "rejected case " + r + " is not in the test data");
    }
    int supported = names.size() - REJECTED.size();
    System.out.println("[detseg tests] nn ONNX conformance: " + supported + " cases supported, rejected: "
        + new TreeSet<>(REJECTED.keySet()));
    assertTrue(supported >= 55, "supported cases: " + supported);
  }

  @TestFactory
  Stream<DynamicTest> conformance() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    for (Device d : Devices.all().toList()) {
      for (Path c : allCases()) {
        String name = c.getFileName().toString();
        tests.add(DynamicTest.dynamicTest(name + " on " + d, () -> {
          Devices.assumeUsable(d);
          if (REJECTED.containsKey(name)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run(c, d), name);
            assertTrue(e.getMessage().contains(REJECTED.get(name)), name + ": message '" + e.getMessage()
                + "' lacks '" + REJECTED.get(name) + "'");
          } else {
            run(c, d);
          }
        }));
      }
    }
    return tests.stream();
  }

  // ---- running one case ---------------------------------------------------------------------------------

  /** A node's op type, attributes and input names, read from the model (the node that is not a Constant). */
  record Node(String opType, List<String> inputs, List<String> outputs, Map<String, AttributeProto> attrs) {
    long i(String n, long def) {
      return attrs.containsKey(n) ? attrs.get(n).getI() : def;
    }

    float f(String n, float def) {
      return attrs.containsKey(n) ? attrs.get(n).getF() : def;
    }

    String s(String n, String def) {
      return attrs.containsKey(n) ? attrs.get(n).getS().toStringUtf8() : def;
    }

    long[] ints(String n) {
      return attrs.containsKey(n) ? attrs.get(n).getIntsList().stream().mapToLong(Long::longValue).toArray() : null;
    }
  }

  static Node node(Path caseDir) throws IOException {
    ModelProto m;
    try (InputStream in = Files.newInputStream(caseDir.resolve("model.onnx"))) {
      m = ModelProto.parseFrom(in);
    }
    for (NodeProto n : m.getGraph().getNodeList()) {
      if (!n.getOpType().equals("Constant")) {
        Map<String, AttributeProto> attrs = new HashMap<>();
        for (AttributeProto a : n.getAttributeList()) {
          attrs.put(a.getName(), a);
        }
        return new Node(n.getOpType(), n.getInputList(), n.getOutputList(), attrs);
      }
    }
    throw new IllegalStateException(caseDir + ": no operator node");
  }

  static void run(Path caseDir, Device d) throws IOException {
    Node node = node(caseDir);
    List<String> graphInputs;
    try {
      graphInputs = OnnxConformance.model(caseDir).inputs();
    } catch (IllegalArgumentException multiNode) {
      graphInputs = null;  // a graph with Constant nodes: only Resize's tf_half_pixel_for_nn case, rejected below
    }
    for (OnnxConformance.DataSet ds : OnnxConformance.dataSets(caseDir)) {
      try (ds; Scope s = Scope.open()) {
        Map<String, Tensor> in = new HashMap<>();
        if (graphInputs != null) {
          for (int i = 0; i < graphInputs.size(); i++) {
            in.put(graphInputs.get(i), ds.inputs().get(i).to(d));
          }
        }
        List<Tensor> got = execute(node, in, d);
        assertEquals(ds.outputs().size(), got.size(), caseDir.getFileName() + ": output count");
        for (int i = 0; i < got.size(); i++) {
          compare(caseDir.getFileName() + " on " + d + ": output " + i, ds.outputs().get(i), got.get(i));
        }
      }
    }
  }

  static Tensor input(Node n, Map<String, Tensor> in, int i) {
    if (i >= n.inputs().size() || n.inputs().get(i).isEmpty()) {
      return null;
    }
    return in.get(n.inputs().get(i));
  }

  static List<Tensor> execute(Node n, Map<String, Tensor> in, Device d) {
    Tensor x = input(n, in, 0);
    switch (n.opType()) {
      case "MaxPool": {
        Pooling.Spec spec = Pooling.Spec.onnx("MaxPool", n.ints("kernel_shape"), n.ints("strides"), n.ints("pads"),
            n.ints("dilations"), n.i("ceil_mode", 0) != 0, n.s("auto_pad", "NOTSET"), x.size(x.dim() - 2),
            x.size(x.dim() - 1));
        Pooling.WithIndices r = Pooling.maxPool2d(x, spec);
        if (n.outputs().size() < 2) {
          return List.of(r.output());
        }
        return List.of(r.output(), Pooling.toOnnxIndices(r.indices(), x.size(2), x.size(3),
            (int) n.i("storage_order", 0)));
      }
      case "AveragePool": {
        Pooling.Spec spec = Pooling.Spec.onnx("AveragePool", n.ints("kernel_shape"), n.ints("strides"),
            n.ints("pads"), n.ints("dilations"), n.i("ceil_mode", 0) != 0, n.s("auto_pad", "NOTSET"),
            x.size(x.dim() - 2), x.size(x.dim() - 1));
        return List.of(Pooling.avgPool2d(x, spec, n.i("count_include_pad", 0) != 0, 0));
      }
      case "GlobalAveragePool":
        return List.of(Pooling.globalAvgPool2d(x));
      case "GlobalMaxPool":
        return List.of(Pooling.globalMaxPool2d(x).output());
      case "MaxUnpool": {
        long[] k = n.ints("kernel_shape");
        long[] st = n.ints("strides") == null ? new long[] {1, 1} : n.ints("strides");
        long[] p = n.ints("pads") == null ? new long[4] : n.ints("pads");
        // ONNX's indices address the inferred (pre-pooling) shape; an output_shape larger than that pads the
        // unpooled tensor with zeros at the end (bottom, right): unpool, then pad.
        long oh = (x.size(2) - 1) * st[0] + k[0] - p[0] - p[2];
        long ow = (x.size(3) - 1) * st[1] + k[1] - p[1] - p[3];
        Tensor ind = Pooling.fromOnnxIndices(input(n, in, 1), oh, ow);
        Tensor y = Pooling.maxUnpool2d(x, ind, oh, ow);
        Tensor shape = input(n, in, 2);
        if (shape == null) {
          return List.of(y);
        }
        int[] v = shape.toIntArray();
        return List.of(Padding.pad(y, new int[] {0, (int) (v[3] - ow), 0, (int) (v[2] - oh)}, "constant", 0f));
      }
      case "Upsample": {
        if (!n.s("mode", "nearest").equals("nearest")) {
          throw new IllegalArgumentException("Upsample: only mode nearest is mapped");
        }
        Resize.Spec spec = Resize.onnxSpec("Upsample", x.size(0), x.size(1), x.size(2), x.size(3),
            input(n, in, 1).toFloatArray(), null, "nearest", "asymmetric", "floor", -0.75f, false);
        return List.of(Resize.resize(x, spec));
      }
      case "Resize": {
        Tensor scales = input(n, in, 2);
        Tensor sizes = input(n, in, 3);
        String ct = n.s("coordinate_transformation_mode", "half_pixel");
        if (x == null) {  // the multi-node graph: validate the attributes, which is where detseg rejects it
          Resize.onnxSpec("Resize", 1, 1, 1, 1, new float[] {1, 1, 1, 1}, null, n.s("mode", "nearest"), ct,
              n.s("nearest_mode", "round_prefer_floor"), n.f("cubic_coeff_a", -0.75f), n.i("exclude_outside", 0) != 0);
          fail("Resize with " + ct + " should have been rejected");
        }
        float[] sc = scales == null || scales.numel() == 0 ? null : scales.toFloatArray();
        long[] sz = null;
        if (sizes != null && sizes.numel() > 0) {
          int[] v = sizes.toIntArray();
          sz = new long[v.length];
          for (int i = 0; i < v.length; i++) {
            sz[i] = v[i];
          }
        }
        Resize.Spec spec = Resize.onnxSpec("Resize", x.size(0), x.size(1), x.size(2), x.size(3), sc, sz,
            n.s("mode", "nearest"), ct, n.s("nearest_mode", "round_prefer_floor"), n.f("cubic_coeff_a", -0.75f),
            n.i("exclude_outside", 0) != 0);
        return List.of(Resize.resize(x, spec));
      }
      case "BatchNormalization": {
        boolean training = n.i("training_mode", 0) != 0;
        Tensor rm = input(n, in, 3).to(d);
        Tensor rv = input(n, in, 4).to(d);
        BatchNorm.Result r = BatchNorm.batchNorm(x, rm, rv, input(n, in, 1), input(n, in, 2), training,
            1f - n.f("momentum", 0.9f), n.f("epsilon", 1e-5f), false);
        return training ? List.of(r.output(), rm, rv) : List.of(r.output());
      }
      case "LeakyRelu":
        return List.of(Activations.leakyRelu(x, n.f("alpha", 0.01f)));
      case "Sigmoid":
        return List.of(Activations.sigmoid(x));
      case "Pad": {
        int[] pads = input(n, in, 1).toIntArray();
        int r = x.dim();
        for (int a = 0; a < r - 2; a++) {
          if (pads[a] != 0 || pads[a + r] != 0) {
            throw new IllegalArgumentException("Pad: only the last two dimensions are padded");
          }
        }
        Tensor cv = input(n, in, 2);
        float value = cv == null ? 0f : cv.toFloatArray()[0];
        String mode = n.s("mode", "constant");
        String torchMode = mode.equals("edge") ? "replicate" : mode;
        return List.of(Padding.pad(x, new int[] {pads[r - 1], pads[2 * r - 1], pads[r - 2], pads[2 * r - 2]},
            torchMode, value));
      }
      default:
        throw new IllegalStateException("no adapter for ONNX " + n.opType());
    }
  }

  static void compare(String where, Tensor expected, Tensor actual) {
    assertArrayEquals(expected.shape(), actual.shape(), where + ": shape");
    if (expected.dtype() == DType.INT32) {
      assertArrayEquals(expected.toIntArray(), actual.toIntArray(), where);
      return;
    }
    float[] e = expected.toFloatArray();
    float[] a = actual.toFloatArray();
    TreeMap<Integer, String> bad = new TreeMap<>();
    for (int i = 0; i < e.length; i++) {
      double tol = ATOL + RTOL * Math.abs(e[i]);
      boolean ok = Float.isNaN(e[i]) ? Float.isNaN(a[i]) : Math.abs((double) e[i] - a[i]) <= tol;
      if (!ok && bad.size() < 5) {
        bad.put(i, "expected " + e[i] + " but got " + a[i]);
      }
    }
    if (!bad.isEmpty()) {
      fail(where + ": " + bad);
    }
  }
}
