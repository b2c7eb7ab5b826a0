package io.detseg.ops.registry;

import io.detseg.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * An op as `detseg op` sees it: named inputs, parameters and outputs (PyTorch's names), a forward,
 * and, when the op is differentiable, a backward that maps output gradients to input gradients.
 */
public record OpSpec(String name, String summary, List<String> inputs, List<String> differentiable,
    List<ParamSpec> params, List<String> outputs, Forward forward, Backward backward) {

  /** Runs the op; the returned map has one tensor per output name. */
  @FunctionalInterface
  public interface Forward {
    Map<String, Tensor> apply(Map<String, Tensor> inputs, Params params);
  }

  /** Returns one gradient per differentiable input, keyed by the input's name. */
  @FunctionalInterface
  public interface Backward {
    Map<String, Tensor> apply(Map<String, Tensor> inputs, Params params, Map<String, Tensor> outputs,
        Map<String, Tensor> gradOutputs);
  }

  public OpSpec {
    inputs = List.copyOf(inputs);
    differentiable = List.copyOf(differentiable);
    params = List.copyOf(params);
    outputs = List.copyOf(outputs);
  }

  public boolean hasBackward() {
    return backward != null;
  }

  public Params params(Map<String, String> given) {
    return new Params(name, params, given);
  }
}
