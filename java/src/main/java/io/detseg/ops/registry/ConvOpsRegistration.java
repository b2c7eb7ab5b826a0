package io.detseg.ops.registry;

import io.detseg.ops.Conv;
import io.detseg.ops.ConvParams;
import io.detseg.ops.OnnxConv;
import io.detseg.tensor.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Registers the conv op family with `detseg op`: matmul, linear, conv2d, conv_transpose2d (PyTorch's
 * names and parameters) and the ONNX wrappers onnx_conv, onnx_conv_transpose. `bias` is a required
 * input on the command line (pass zeros for a layer without bias); from Java it may be null.
 */
final class ConvOpsRegistration {
  private ConvOpsRegistration() {}

  private static final ParamSpec STRIDE = new ParamSpec("stride", ParamSpec.Type.INT_LIST, "1",
      "stride: one value or (h, w)");
  private static final ParamSpec DILATION = new ParamSpec("dilation", ParamSpec.Type.INT_LIST, "1",
      "dilation: one value or (h, w)");
  private static final ParamSpec GROUPS = new ParamSpec("groups", ParamSpec.Type.INT, "1",
      "groups: in and out channels are split into this many independent groups");

  static void registerAll() {
    OpRegistry.register(new OpSpec("matmul", "input [M,K] @ other [K,N] -> [M,N] (2-D torch.matmul; own SGEMM)",
        List.of("input", "other"), List.of("input", "other"), List.of(), List.of("output"),
        (in, p) -> Map.of("output", Conv.matmul(in.get("input"), in.get("other"))),
        (in, p, out, g) -> {
          Tensor[] r = Conv.matmulBackward(g.get("output"), in.get("input"), in.get("other"));
          return Map.of("input", r[0], "other", r[1]);
        }));
    OpRegistry.register(new OpSpec("linear",
        "torch.nn.functional.linear: input [*, in] @ weight[out, in]^T + bias [out] -> [*, out]",
        List.of("input", "weight", "bias"), List.of("input", "weight", "bias"), List.of(), List.of("output"),
        (in, p) -> Map.of("output", Conv.linear(in.get("input"), in.get("weight"), in.get("bias"))),
        (in, p, out, g) -> grads(Conv.linearBackward(g.get("output"), in.get("input"), in.get("weight"), true),
            "input", "weight", "bias")));

    OpRegistry.register(new OpSpec("conv2d",
        "torch.nn.functional.conv2d: input [N,C,H,W], weight [Cout, C/groups, kh, kw], bias [Cout]",
        List.of("input", "weight", "bias"), List.of("input", "weight", "bias"),
        List.of(STRIDE, new ParamSpec("padding", ParamSpec.Type.STRING, "0",
                "padding: one value or (h, w) per side, or 'same' / 'valid'"), DILATION, GROUPS),
        List.of("output"),
        (in, p) -> Map.of("output", Conv.conv2d(in.get("input"), in.get("weight"), in.get("bias"), conv2dParams(p))),
        (in, p, out, g) -> grads(Conv.conv2dBackward(g.get("output"), in.get("input"), in.get("weight"), true,
            conv2dParams(p)), "input", "weight", "bias")));

    List<ParamSpec> transposedParams = List.of(STRIDE,
        new ParamSpec("padding", ParamSpec.Type.INT_LIST, "0", "padding: one value or (h, w)"),
        new ParamSpec("output_padding", ParamSpec.Type.INT_LIST, "0",
            "extra rows/columns at the bottom/right: one value or (h, w), smaller than stride or dilation"),
        GROUPS, DILATION,
        new ParamSpec("output_size", ParamSpec.Type.STRING, "none",
            "explicit output (H, W) as ConvTranspose2d(...)(input, output_size); replaces output_padding"));
    OpRegistry.register(new OpSpec("conv_transpose2d",
        "torch.nn.functional.conv_transpose2d: input [N,Cin,H,W], weight [Cin, Cout/groups, kh, kw], bias [Cout]",
        List.of("input", "weight", "bias"), List.of("input", "weight", "bias"), transposedParams, List.of("output"),
        (in, p) -> Map.of("output", Conv.convTranspose2d(in.get("input"), in.get("weight"), in.get("bias"),
            transposedParams(p), outputSize(p))),
        (in, p, out, g) -> grads(Conv.convTranspose2dBackward(g.get("output"), in.get("input"), in.get("weight"),
            true, transposedParams(p), outputSize(p)), "input", "weight", "bias")));

    List<ParamSpec> onnxParams = List.of(
        new ParamSpec("auto_pad", ParamSpec.Type.STRING, "NOTSET", "NOTSET, VALID, SAME_UPPER or SAME_LOWER"),
        new ParamSpec("dilations", ParamSpec.Type.INT_LIST, "1,1", "dilations (h, w)"),
        new ParamSpec("group", ParamSpec.Type.INT, "1", "group"),
        new ParamSpec("kernel_shape", ParamSpec.Type.STRING, "none", "kernel_shape (h, w), checked against W"),
        new ParamSpec("pads", ParamSpec.Type.INT_LIST, "0,0,0,0", "pads [top, left, bottom, right]"),
        new ParamSpec("strides", ParamSpec.Type.INT_LIST, "1,1", "strides (h, w)"));
    OpRegistry.register(new OpSpec("onnx_conv", "ONNX Conv (2-D): X [N,C,H,W], W [M, C/group, kh, kw], B [M]",
        List.of("X", "W", "B"), List.of("X", "W", "B"), onnxParams, List.of("Y"),
        (in, p) -> Map.of("Y", OnnxConv.conv(in.get("X"), in.get("W"), in.get("B"), onnxAttributes(p, false))),
        (in, p, out, g) -> grads(OnnxConv.convBackward(g.get("Y"), in.get("X"), in.get("W"), true,
            onnxAttributes(p, false)), "X", "W", "B")));
    List<ParamSpec> onnxTransposed = new java.util.ArrayList<>(onnxParams);
    onnxTransposed.add(new ParamSpec("output_padding", ParamSpec.Type.INT_LIST, "0,0", "output_padding (h, w)"));
    onnxTransposed.add(new ParamSpec("output_shape", ParamSpec.Type.STRING, "none",
        "output_shape (h, w); pads are then derived from it"));
    OpRegistry.register(new OpSpec("onnx_conv_transpose",
        "ONNX ConvTranspose (2-D): X [N,C,H,W], W [C, M/group, kh, kw], B [M]",
        List.of("X", "W", "B"), List.of("X", "W", "B"), onnxTransposed, List.of("Y"),
        (in, p) -> Map.of("Y", OnnxConv.convTranspose(in.get("X"), in.get("W"), in.get("B"), onnxAttributes(p, true))),
        (in, p, out, g) -> grads(OnnxConv.convTransposeBackward(g.get("Y"), in.get("X"), in.get("W"), true,
            onnxAttributes(p, true)), "X", "W", "B")));
  }

  private static Map<String, Tensor> grads(Conv.Grads g, String input, String weight, String bias) {
    Map<String, Tensor> m = new LinkedHashMap<>();
    m.put(input, g.gradInput());
    m.put(weight, g.gradWeight());
    m.put(bias, g.gradBias());
    return m;
  }

  private static ConvParams conv2dParams(Params p) {
    return ConvParams.of("conv2d", p.getIntList("stride"), p.getString("padding"), p.getIntList("dilation"),
        p.getInt("groups"));
  }

  private static ConvParams transposedParams(Params p) {
    return ConvParams.transposed("conv_transpose2d", p.getIntList("stride"), p.getIntList("padding"),
        p.getIntList("output_padding"), p.getInt("groups"), p.getIntList("dilation"));
  }

  private static long[] outputSize(Params p) {
    long[] v = optionalLongs("conv_transpose2d", "output_size", p.getString("output_size"));
    if (v != null && v.length == 1) {
      return new long[] {v[0], v[0]};
    }
    return v;
  }

  private static OnnxConv.Attributes onnxAttributes(Params p, boolean transposed) {
    String op = transposed ? "onnx_conv_transpose" : "onnx_conv";
    return new OnnxConv.Attributes(p.getString("auto_pad"), longs(p.getIntList("dilations")), p.getInt("group"),
        optionalLongs(op, "kernel_shape", p.getString("kernel_shape")), longs(p.getIntList("pads")),
        longs(p.getIntList("strides")), transposed ? longs(p.getIntList("output_padding")) : null,
        transposed ? optionalLongs(op, "output_shape", p.getString("output_shape")) : null);
  }

  private static long[] longs(int[] v) {
    return Arrays.stream(v).asLongStream().toArray();
  }

  private static long[] optionalLongs(String op, String name, String text) {
    String t = text.trim();
    if (t.isEmpty() || t.equalsIgnoreCase("none")) {
      return null;
    }
    try {
      return Arrays.stream(t.split(",")).map(String::trim).mapToLong(Long::parseLong).toArray();
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(op + ": parameter '" + name + "': expected 'none' or comma-separated "
          + "integers but got '" + text + "'");
    }
  }
}
