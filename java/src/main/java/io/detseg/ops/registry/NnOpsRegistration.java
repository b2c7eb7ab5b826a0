package io.detseg.ops.registry;

import io.detseg.ops.Activations;
import io.detseg.ops.BatchNorm;
import io.detseg.ops.Concat;
import io.detseg.ops.Padding;
import io.detseg.ops.Pooling;
import io.detseg.ops.Resize;
import io.detseg.tensor.Tensor;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Registers the nn op family with `detseg op`: pooling (max_pool2d, avg_pool2d, adaptive_avg_pool2d,
 * adaptive_max_pool2d, max_unpool2d), resizing (interpolate, resize, upsample_bed_of_nails),
 * batch_norm, activations (relu6, leaky_relu, sigmoid, tanh), cat, split and pad. Names and defaults
 * follow torch.nn.functional; "none" spells None for optional parameters.
 */
final class NnOpsRegistration {
  private NnOpsRegistration() {}

  private static final String NONE = "none";

  private static ParamSpec p(String name, ParamSpec.Type type, String def, String doc) {
    return new ParamSpec(name, type, def, doc);
  }

  private static boolean isNone(String s) {
    return s == null || s.trim().isEmpty() || s.trim().toLowerCase(Locale.ROOT).equals(NONE);
  }

  /** An optional comma-separated int list ("none" = null). */
  private static int[] optInts(String op, String name, Params ps) {
    String s = ps.getString(name);
    if (isNone(s)) {
      return null;
    }
    try {
      return Arrays.stream(s.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(op + ": parameter '" + name + "': expected none or a list of ints but got '"
          + s + "'");
    }
  }

  private static long[] optLongs(String op, String name, Params ps) {
    int[] v = optInts(op, name, ps);
    return v == null ? null : Arrays.stream(v).asLongStream().toArray();
  }

  private static double[] optDoubles(String op, String name, Params ps) {
    String s = ps.getString(name);
    if (isNone(s)) {
      return null;
    }
    try {
      return Arrays.stream(s.split(",")).map(String::trim).mapToDouble(Double::parseDouble).toArray();
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(op + ": parameter '" + name + "': expected none or a list of numbers but got '"
          + s + "'");
    }
  }

  private static Boolean optBool(String op, String name, Params ps) {
    String s = ps.getString(name);
    if (isNone(s)) {
      return null;
    }
    String b = s.trim().toLowerCase(Locale.ROOT);
    if (!b.equals("true") && !b.equals("false")) {
      throw new IllegalArgumentException(op + ": parameter '" + name + "': expected none, true or false but got '" + s
          + "'");
    }
    return b.equals("true");
  }

  private static int optInt(String op, String name, Params ps) {
    int[] v = optInts(op, name, ps);
    if (v == null) {
      return 0;
    }
    if (v.length != 1) {
      throw new IllegalArgumentException(op + ": parameter '" + name + "': expected none or one int but got "
          + Arrays.toString(v));
    }
    return v[0];
  }

  private static Map<String, Tensor> map(Object... kv) {
    Map<String, Tensor> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], (Tensor) kv[i + 1]);
    }
    return m;
  }

  static void registerAll() {
    registerPooling();
    registerResize();
    registerNorm();
    registerActivations();
    registerShapes();
  }

  // ---- pooling ----------------------------------------------------------------------------------------

  private static final ParamSpec KERNEL = p("kernel_size", ParamSpec.Type.INT_LIST, null, "window size (one or two ints)");
  private static final ParamSpec STRIDE = p("stride", ParamSpec.Type.STRING, NONE, "stride (one or two ints; none = kernel_size)");
  private static final ParamSpec PADDING = p("padding", ParamSpec.Type.INT_LIST, "0", "implicit padding on both sides (at most half the kernel)");
  private static final ParamSpec CEIL = p("ceil_mode", ParamSpec.Type.BOOL, "false", "ceil instead of floor for the output size");

  private static Pooling.Spec maxSpec(String op, Params ps) {
    return Pooling.Spec.torch(op, ps.getIntList("kernel_size"), optInts(op, "stride", ps), ps.getIntList("padding"),
        ps.getIntList("dilation"), ps.getBool("ceil_mode"));
  }

  private static Pooling.Spec avgSpec(String op, Params ps) {
    return Pooling.Spec.torch(op, ps.getIntList("kernel_size"), optInts(op, "stride", ps), ps.getIntList("padding"),
        null, ps.getBool("ceil_mode"));
  }

  private static void registerPooling() {
    OpRegistry.register(new OpSpec("max_pool2d",
        "2-D max pooling with int32 argmax indices (flat h*W+w per plane), as F.max_pool2d(return_indices=True)",
        List.of("input"), List.of("input"),
        List.of(KERNEL, STRIDE, PADDING, p("dilation", ParamSpec.Type.INT_LIST, "1", "spacing of the window taps"), CEIL),
        List.of("output", "indices"),
        (in, ps) -> {
          Pooling.WithIndices r = Pooling.maxPool2d(in.get("input"), maxSpec("max_pool2d", ps));
          return map("output", r.output(), "indices", r.indices());
        },
        (in, ps, out, g) -> map("input", Pooling.maxPool2dBackward(g.get("output"), in.get("input"),
            maxSpec("max_pool2d", ps), out.get("indices")))));
    OpRegistry.register(new OpSpec("avg_pool2d", "2-D average pooling, as F.avg_pool2d",
        List.of("input"), List.of("input"),
        List.of(KERNEL, STRIDE, PADDING, CEIL,
            p("count_include_pad", ParamSpec.Type.BOOL, "true", "count the zero padding in the divisor"),
            p("divisor_override", ParamSpec.Type.STRING, NONE, "a fixed divisor (none = the window's)")),
        List.of("output"),
        (in, ps) -> map("output", Pooling.avgPool2d(in.get("input"), avgSpec("avg_pool2d", ps),
            ps.getBool("count_include_pad"), optInt("avg_pool2d", "divisor_override", ps))),
        (in, ps, out, g) -> map("input", Pooling.avgPool2dBackward(g.get("output"), in.get("input"),
            avgSpec("avg_pool2d", ps), ps.getBool("count_include_pad"),
            optInt("avg_pool2d", "divisor_override", ps)))));
    ParamSpec outSize = p("output_size", ParamSpec.Type.INT_LIST, null, "output H and W (one int: square)");
    OpRegistry.register(new OpSpec("adaptive_avg_pool2d",
        "adaptive average pooling to output_size, as F.adaptive_avg_pool2d (1 = global average pooling)",
        List.of("input"), List.of("input"), List.of(outSize), List.of("output"),
        (in, ps) -> map("output", Pooling.adaptiveAvgPool2d(in.get("input"), ps.getIntList("output_size"))),
        (in, ps, out, g) -> map("input", Pooling.adaptiveAvgPool2dBackward(g.get("output"), in.get("input")))));
    OpRegistry.register(new OpSpec("adaptive_max_pool2d",
        "adaptive max pooling with int32 argmax, as F.adaptive_max_pool2d(return_indices=True) (1 = global max pooling)",
        List.of("input"), List.of("input"), List.of(outSize), List.of("output", "indices"),
        (in, ps) -> {
          Pooling.WithIndices r = Pooling.adaptiveMaxPool2d(in.get("input"), ps.getIntList("output_size"));
          return map("output", r.output(), "indices", r.indices());
        },
        (in, ps, out, g) -> map("input", Pooling.adaptiveMaxPool2dBackward(g.get("output"), in.get("input"),
            out.get("indices")))));
    OpRegistry.register(new OpSpec("max_unpool2d",
        "max unpooling from int32 per-plane indices, as F.max_unpool2d (zeros where no index points)",
        List.of("input", "indices"), List.of("input"),
        List.of(KERNEL, STRIDE, PADDING, p("output_size", ParamSpec.Type.STRING, NONE, "output H,W (none = default)")),
        List.of("output"),
        (in, ps) -> map("output", Pooling.maxUnpool2d(in.get("input"), in.get("indices"), ps.getIntList("kernel_size"),
            optInts("max_unpool2d", "stride", ps), ps.getIntList("padding"), optLongs("max_unpool2d", "output_size", ps))),
        (in, ps, out, g) -> map("input", Pooling.maxUnpool2dBackward(g.get("output"), in.get("input"),
            in.get("indices")))));
  }

  // ---- resize -----------------------------------------------------------------------------------------

  private static Resize.Spec interpolateSpec(Tensor input, Params ps) {
    String op = "interpolate";
    if (input.dim() != 4) {
      throw new IllegalArgumentException(op + ": argument 'input': expected a 4-D [N, C, H, W] tensor but got "
          + input.dim() + " dimensions");
    }
    return Resize.interpolateSpec(op, input.size(2), input.size(3), optLongs(op, "size", ps),
        optDoubles(op, "scale_factor", ps), ps.getString("mode"), optBool(op, "align_corners", ps),
        optBool(op, "recompute_scale_factor", ps));
  }

  private static Resize.Spec onnxSpec(Tensor input, Params ps) {
    String op = "resize";
    if (input.dim() != 4) {
      throw new IllegalArgumentException(op + ": argument 'input': expected a 4-D [N, C, H, W] tensor but got "
          + input.dim() + " dimensions");
    }
    double[] s = optDoubles(op, "scales", ps);
    float[] scales = null;
    if (s != null) {
      scales = new float[s.length];
      for (int i = 0; i < s.length; i++) {
        scales[i] = (float) s[i];
      }
    }
    return Resize.onnxSpec(op, input.size(0), input.size(1), input.size(2), input.size(3), scales,
        optLongs(op, "sizes", ps), ps.getString("mode"), ps.getString("coordinate_transformation_mode"),
        ps.getString("nearest_mode"), ps.getFloat("cubic_coeff_a"), ps.getInt("exclude_outside") != 0);
  }

  private static void registerResize() {
    OpRegistry.register(new OpSpec("interpolate",
        "F.interpolate of a 4-D input: nearest, nearest-exact, bilinear, bicubic (A=-0.75)",
        List.of("input"), List.of("input"),
        List.of(p("size", ParamSpec.Type.STRING, NONE, "output H,W (or one value)"),
            p("scale_factor", ParamSpec.Type.STRING, NONE, "scale of H,W (or one value)"),
            p("mode", ParamSpec.Type.STRING, "nearest", "nearest, nearest-exact, bilinear or bicubic"),
            p("align_corners", ParamSpec.Type.STRING, NONE, "none, true or false (bilinear/bicubic only)"),
            p("recompute_scale_factor", ParamSpec.Type.STRING, NONE, "none, true or false")),
        List.of("output"),
        (in, ps) -> map("output", Resize.resize(in.get("input"), interpolateSpec(in.get("input"), ps))),
        (in, ps, out, g) -> map("input", Resize.resizeBackward(g.get("output"), in.get("input"),
            interpolateSpec(in.get("input"), ps)))));
    OpRegistry.register(new OpSpec("resize",
        "ONNX Resize of a 4-D input (nearest/linear/cubic; half_pixel, pytorch_half_pixel, align_corners, asymmetric)",
        List.of("input"), List.of("input"),
        List.of(p("scales", ParamSpec.Type.STRING, NONE, "4 scales (N, C must be 1)"),
            p("sizes", ParamSpec.Type.STRING, NONE, "4 sizes (N, C unchanged)"),
            p("mode", ParamSpec.Type.STRING, "nearest", "nearest, linear or cubic"),
            p("coordinate_transformation_mode", ParamSpec.Type.STRING, "half_pixel",
                "half_pixel, pytorch_half_pixel, align_corners or asymmetric"),
            p("nearest_mode", ParamSpec.Type.STRING, "round_prefer_floor",
                "round_prefer_floor, round_prefer_ceil, floor or ceil"),
            p("cubic_coeff_a", ParamSpec.Type.FLOAT, "-0.75", "cubic convolution coefficient"),
            p("exclude_outside", ParamSpec.Type.INT, "0", "1: zero and renormalize taps outside the input")),
        List.of("output"),
        (in, ps) -> map("output", Resize.resize(in.get("input"), onnxSpec(in.get("input"), ps))),
        (in, ps, out, g) -> map("input", Resize.resizeBackward(g.get("output"), in.get("input"),
            onnxSpec(in.get("input"), ps)))));
    OpRegistry.register(new OpSpec("upsample_bed_of_nails",
        "zero insertion: output [N,C,H*sH,W*sW] holds the input at every (sH,sW)-th position, zeros elsewhere",
        List.of("input"), List.of("input"),
        List.of(p("scale_factor", ParamSpec.Type.INT_LIST, null, "integer scale (one or two ints)")),
        List.of("output"),
        (in, ps) -> map("output", Resize.bedOfNails(in.get("input"), ps.getIntList("scale_factor"))),
        (in, ps, out, g) -> map("input", Resize.bedOfNailsBackward(g.get("output"), in.get("input"),
            ps.getIntList("scale_factor")))));
  }

  // ---- batch norm -------------------------------------------------------------------------------------

  private static void registerNorm() {
    OpRegistry.register(new OpSpec("batch_norm",
        "F.batch_norm over [N, C, *]; training updates running_mean/running_var in place",
        List.of("input", "running_mean", "running_var", "weight", "bias"), List.of("input", "weight", "bias"),
        List.of(p("training", ParamSpec.Type.BOOL, "false", "use batch statistics (and update the running ones)"),
            p("momentum", ParamSpec.Type.FLOAT, "0.1", "running-statistics momentum"),
            p("eps", ParamSpec.Type.FLOAT, "1e-05", "added to the variance")),
        List.of("output"),
        (in, ps) -> {
          BatchNorm.Result r = BatchNorm.batchNorm(in.get("input"), in.get("running_mean"), in.get("running_var"),
              in.get("weight"), in.get("bias"), ps.getBool("training"), ps.getFloat("momentum"), ps.getFloat("eps"));
          // save_mean / save_invstd travel to the backward with the outputs (not written by the CLI).
          return map("output", r.output(), "save_mean", r.saveMean(), "save_invstd", r.saveInvstd());
        },
        (in, ps, out, g) -> {
          BatchNorm.Grads gr = BatchNorm.batchNormBackward(g.get("output"), in.get("input"), in.get("weight"),
              in.get("running_mean"), in.get("running_var"), out.get("save_mean"), out.get("save_invstd"),
              ps.getBool("training"), ps.getFloat("eps"));
          return map("input", gr.gradInput(), "weight", gr.gradWeight(), "bias", gr.gradBias());
        }));
  }

  // ---- activations ------------------------------------------------------------------------------------

  private static void registerActivations() {
    OpRegistry.register(new OpSpec("relu6", "min(max(input, 0), 6), as F.relu6 (NaN stays NaN)",
        List.of("input"), List.of("input"), List.of(), List.of("output"),
        (in, ps) -> map("output", Activations.relu6(in.get("input"))),
        (in, ps, out, g) -> map("input", Activations.relu6Backward(g.get("output"), in.get("input")))));
    OpRegistry.register(new OpSpec("leaky_relu", "input > 0 ? input : input * negative_slope, as F.leaky_relu",
        List.of("input"), List.of("input"),
        List.of(p("negative_slope", ParamSpec.Type.FLOAT, "0.01", "slope for negative inputs")), List.of("output"),
        (in, ps) -> map("output", Activations.leakyRelu(in.get("input"), ps.getFloat("negative_slope"))),
        (in, ps, out, g) -> map("input", Activations.leakyReluBackward(g.get("output"), in.get("input"),
            ps.getFloat("negative_slope")))));
    OpRegistry.register(new OpSpec("sigmoid", "1 / (1 + exp(-input)), as torch.sigmoid",
        List.of("input"), List.of("input"), List.of(), List.of("output"),
        (in, ps) -> map("output", Activations.sigmoid(in.get("input"))),
        (in, ps, out, g) -> map("input", Activations.sigmoidBackward(g.get("output"), out.get("output")))));
    OpRegistry.register(new OpSpec("tanh", "tanh(input), as torch.tanh",
        List.of("input"), List.of("input"), List.of(), List.of("output"),
        (in, ps) -> map("output", Activations.tanh(in.get("input"))),
        (in, ps, out, g) -> map("input", Activations.tanhBackward(g.get("output"), out.get("output")))));
  }

  // ---- cat, split, pad --------------------------------------------------------------------------------

  private static long[] splitSections(String op, Tensor t, Params ps, int dim) {
    int[] v = ps.getIntList("split_size_or_sections");
    int d = dim < 0 ? dim + t.dim() : dim;
    if (d < 0 || d >= t.dim()) {
      throw new IllegalArgumentException(op + ": parameter 'dim': expected a dimension of " + t.dim()
          + "-D input but got " + dim);
    }
    long[] s = v.length == 1 ? Concat.sections(t.size(d), v[0]) : Arrays.stream(v).asLongStream().toArray();
    if (s.length != 2) {
      throw new IllegalArgumentException(op + ": parameter 'split_size_or_sections': the command line form of split "
          + "produces exactly two pieces (output.0, output.1) but " + Arrays.toString(v) + " gives " + s.length);
    }
    return s;
  }

  private static void registerShapes() {
    ParamSpec dim = p("dim", ParamSpec.Type.INT, "0", "dimension (1 = channels of NCHW)");
    OpRegistry.register(new OpSpec("cat",
        "torch.cat([tensors.0, tensors.1], dim) (the Java API takes any number of tensors)",
        List.of("tensors.0", "tensors.1"), List.of("tensors.0", "tensors.1"), List.of(dim), List.of("output"),
        (in, ps) -> map("output", Concat.cat(List.of(in.get("tensors.0"), in.get("tensors.1")), ps.getInt("dim"))),
        (in, ps, out, g) -> {
          int d = ps.getInt("dim");
          Tensor a = in.get("tensors.0");
          int dd = d < 0 ? d + a.dim() : d;
          List<Tensor> parts = Concat.catBackward(g.get("output"),
              new long[] {a.size(dd), in.get("tensors.1").size(dd)}, d);
          return map("tensors.0", parts.get(0), "tensors.1", parts.get(1));
        }));
    OpRegistry.register(new OpSpec("split",
        "torch.split(input, split_size_or_sections, dim) into two pieces (the Java API returns any number)",
        List.of("input"), List.of("input"),
        List.of(p("split_size_or_sections", ParamSpec.Type.INT_LIST, null, "piece size, or the two section sizes"), dim),
        List.of("output.0", "output.1"),
        (in, ps) -> {
          Tensor t = in.get("input");
          List<Tensor> parts = Concat.splitSections(t, splitSections("split", t, ps, ps.getInt("dim")), ps.getInt("dim"));
          return map("output.0", parts.get(0), "output.1", parts.get(1));
        },
        (in, ps, out, g) -> {
          Tensor t = in.get("input");
          List<long[]> shapes = List.of(out.get("output.0").shape(), out.get("output.1").shape());
          return map("input", Concat.splitBackward(Arrays.asList(g.get("output.0"), g.get("output.1")), shapes,
              ps.getInt("dim")));
        }));
    OpRegistry.register(new OpSpec("pad",
        "F.pad of the last one or two dimensions: pad = left,right[,top,bottom]; constant, reflect or replicate",
        List.of("input"), List.of("input"),
        List.of(p("pad", ParamSpec.Type.INT_LIST, null, "left,right or left,right,top,bottom"),
            p("mode", ParamSpec.Type.STRING, "constant", "constant, reflect or replicate"),
            p("value", ParamSpec.Type.FLOAT, "0", "fill value of constant mode")),
        List.of("output"),
        (in, ps) -> map("output", Padding.pad(in.get("input"), ps.getIntList("pad"), ps.getString("mode"),
            ps.getFloat("value"))),
        (in, ps, out, g) -> map("input", Padding.padBackward(g.get("output"), in.get("input"), ps.getIntList("pad"),
            ps.getString("mode")))));
  }
}
