package io.detseg.cli;

import io.detseg.ops.registry.OpRegistry;
import io.detseg.ops.registry.OpSpec;
import io.detseg.ops.registry.ParamSpec;
import io.detseg.ops.registry.Params;
import io.detseg.tensor.Device;
import io.detseg.tensor.Npy;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Shapes;
import io.detseg.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * `detseg op NAME`: runs one registered op on .npy inputs and writes each output (and, with
 * --grad-output, each input gradient) as a .npy file. Lets a numpy user drive any kernel without Java.
 */
@Command(name = "op", mixinStandardHelpOptions = true,
    description = "Run one op on .npy files: outputs go to DIR/<output>.npy, gradients to DIR/grad_<input>.npy.")
final class OpCommand implements Callable<Integer> {
  @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "op name (see --list)")
  String name;

  @Option(names = "--list", description = "list every op with its inputs, parameters and outputs")
  boolean list;

  @Option(names = "--backend", defaultValue = "cpu", description = "cpu, cuda-sim or cuda (default: ${DEFAULT-VALUE})")
  String backend;

  @Option(names = "--input", paramLabel = "NAME=FILE.npy", description = "an input tensor")
  Map<String, Path> inputs = new LinkedHashMap<>();

  @Option(names = "--param", paramLabel = "NAME=VALUE", description = "a parameter (lists comma-separated)")
  Map<String, String> params = new LinkedHashMap<>();

  @Option(names = "--grad-output", paramLabel = "NAME=FILE.npy",
      description = "gradient of an output; runs the backward too (missing outputs get zero gradients)")
  Map<String, Path> gradOutputs = new LinkedHashMap<>();

  @Option(names = "--output-dir", paramLabel = "DIR", description = "where the .npy results are written")
  Path outputDir;

  @Override
  public Integer call() throws IOException {
    if (list) {
      printList();
      return 0;
    }
    if (name == null) {
      throw new IllegalArgumentException("op: give an op NAME, or --list to see them");
    }
    if (outputDir == null) {
      throw new IllegalArgumentException("op " + name + ": --output-dir is required");
    }
    OpSpec op = OpRegistry.get(name);
    Params p = op.params(params);
    Device device = Device.parse(backend);
    checkNames(op);
    Files.createDirectories(outputDir);
    try (Scope scope = Scope.open()) {
      Map<String, Tensor> in = new LinkedHashMap<>();
      for (String input : op.inputs()) {
        in.put(input, load(inputs.get(input), device));
      }
      Map<String, Tensor> out = op.forward().apply(in, p);
      for (String output : op.outputs()) {
        write(out.get(output), outputDir.resolve(output + ".npy"));
      }
      if (!gradOutputs.isEmpty()) {
        Map<String, Tensor> grads = new LinkedHashMap<>();
        for (String output : op.outputs()) {
          Tensor o = out.get(output);
          Path file = gradOutputs.get(output);
          Tensor g = file == null ? Tensor.zeros(device, o.dtype(), o.shape()) : load(file, device);
          if (!Arrays.equals(g.shape(), o.shape()) || g.dtype() != o.dtype()) {
            throw new IllegalArgumentException("op " + name + ": --grad-output " + output + ": expected "
                + o.dtype().label() + Shapes.format(o.shape()) + " (the output's) but got "
                + g.dtype().label() + Shapes.format(g.shape()));
          }
          grads.put(output, g);
        }
        Map<String, Tensor> inputGrads = op.backward().apply(in, p, out, grads);
        for (String input : op.differentiable()) {
          write(inputGrads.get(input), outputDir.resolve("grad_" + input + ".npy"));
        }
      }
    }
    return 0;
  }

  private void checkNames(OpSpec op) {
    for (String given : inputs.keySet()) {
      if (!op.inputs().contains(given)) {
        throw new IllegalArgumentException("op " + name + ": unknown input '" + given + "'; expected " + op.inputs());
      }
    }
    for (String input : op.inputs()) {
      if (!inputs.containsKey(input)) {
        throw new IllegalArgumentException("op " + name + ": missing --input " + input + "=FILE.npy");
      }
    }
    if (!gradOutputs.isEmpty() && !op.hasBackward()) {
      throw new IllegalArgumentException("op " + name + ": has no backward, so --grad-output cannot be used");
    }
    for (String g : gradOutputs.keySet()) {
      if (!op.outputs().contains(g)) {
        throw new IllegalArgumentException("op " + name + ": unknown output '" + g + "' in --grad-output; expected "
            + op.outputs());
      }
    }
  }

  private static Tensor load(Path file, Device device) throws IOException {
    Tensor host = Npy.read(file);
    return device == Device.CPU ? host : host.to(device);
  }

  private static void write(Tensor t, Path file) throws IOException {
    Npy.write(t, file);
    System.out.println("wrote " + file + "  " + t.dtype().label() + Shapes.format(t.shape()));
  }

  private static void printList() {
    for (OpSpec op : OpRegistry.all()) {
      System.out.println(op.name() + " - " + op.summary());
      StringBuilder ins = new StringBuilder();
      for (String i : op.inputs()) {
        ins.append(ins.length() == 0 ? "" : ", ").append(i).append(op.differentiable().contains(i) ? " (grad)" : "");
      }
      System.out.println("    inputs:  " + ins);
      for (ParamSpec s : op.params()) {
        System.out.println("    param:   " + s.describe());
      }
      System.out.println("    outputs: " + String.join(", ", op.outputs()) + (op.hasBackward() ? "  [backward]" : ""));
    }
  }
}
