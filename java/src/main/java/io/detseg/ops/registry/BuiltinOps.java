package io.detseg.ops.registry;

import io.detseg.ops.Ops;
import io.detseg.ops.Views;
import io.detseg.tensor.Tensor;
import java.util.List;
import java.util.Map;

/** Registers the first ops: elementwise add/mul/relu, sum and max reductions, box IoU, permute, narrow. */
final class BuiltinOps {
  private BuiltinOps() {}

  static void registerAll() {
    OpRegistry.register(new OpSpec("add", "input + other (same shapes, float32)",
        List.of("input", "other"), List.of("input", "other"), List.of(), List.of("output"),
        (in, p) -> Map.of("output", Ops.add(in.get("input"), in.get("other"))),
        (in, p, out, g) -> Map.of("input", copy(g.get("output")), "other", copy(g.get("output")))));
    OpRegistry.register(new OpSpec("mul", "input * other (same shapes, float32)",
        List.of("input", "other"), List.of("input", "other"), List.of(), List.of("output"),
        (in, p) -> Map.of("output", Ops.mul(in.get("input"), in.get("other"))),
        (in, p, out, g) -> Map.of(
            "input", Ops.mul(g.get("output"), in.get("other")),
            "other", Ops.mul(g.get("output"), in.get("input")))));
    OpRegistry.register(new OpSpec("relu", "max(input, 0); NaN stays NaN",
        List.of("input"), List.of("input"), List.of(), List.of("output"),
        (in, p) -> Map.of("output", Ops.relu(in.get("input"))),
        (in, p, out, g) -> Map.of("input", Ops.reluBackward(g.get("output"), in.get("input")))));
    OpRegistry.register(new OpSpec("sum", "sum of all elements (0-d output)",
        List.of("input"), List.of("input"), List.of(), List.of("output"),
        (in, p) -> Map.of("output", Ops.sum(in.get("input"))),
        (in, p, out, g) -> Map.of("input", Ops.sumBackward(g.get("output"), in.get("input")))));
    OpRegistry.register(new OpSpec("max", "maximum of all elements (0-d output; NaN if any is NaN)",
        List.of("input"), List.of("input"), List.of(), List.of("output"),
        (in, p) -> Map.of("output", Ops.max(in.get("input"))),
        (in, p, out, g) -> Map.of("input",
            Ops.maxBackward(g.get("output"), in.get("input"), out.get("output")))));
    OpRegistry.register(new OpSpec("box_iou",
        "IoU of every pair of boxes1 [N,4] and boxes2 [M,4] (x1,y1,x2,y2) -> [N,M], as torchvision.ops.box_iou",
        List.of("boxes1", "boxes2"), List.of(), List.of(), List.of("output"),
        (in, p) -> Map.of("output", Ops.boxIou(in.get("boxes1"), in.get("boxes2"))), null));
    registerViews();
  }

  private static void registerViews() {
    OpRegistry.register(new OpSpec("permute", "torch.permute: output dimension i is input dimension dims[i]",
        List.of("input"), List.of("input"),
        List.of(new ParamSpec("dims", ParamSpec.Type.INT_LIST, null, "a permutation of the input's dimensions")),
        List.of("output"),
        (in, p) -> Map.of("output", Views.permute(in.get("input"), p.getIntList("dims"))),
        (in, p, out, g) -> Map.of("input", Views.permute(g.get("output"), Views.inverse(p.getIntList("dims"))))));
    OpRegistry.register(new OpSpec("narrow", "torch.narrow: elements start..start+length-1 of dimension dim",
        List.of("input"), List.of(),
        List.of(new ParamSpec("dim", ParamSpec.Type.INT, null, "the dimension to narrow"),
            new ParamSpec("start", ParamSpec.Type.INT, null, "first index (negative counts from the end)"),
            new ParamSpec("length", ParamSpec.Type.INT, null, "number of elements")),
        List.of("output"),
        (in, p) -> Map.of("output", Views.narrow(in.get("input"), p.getInt("dim"), p.getInt("start"),
            p.getInt("length"))), null));
  }

  private static Tensor copy(Tensor t) {
    return t.to(t.device());
  }
}
