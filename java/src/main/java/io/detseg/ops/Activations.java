package io.detseg.ops;

import io.detseg.backend.NnKernels;
import io.detseg.tensor.DType;
import io.detseg.tensor.Tensor;

/**
 * Pointwise activations of torch.nn.functional (PyTorch 1.13) with their backwards: relu6, leaky_relu,
 * sigmoid, tanh (relu is {@link Ops#relu}). Any shape, float32. Formulas shared by both backends:
 * kernels/include/detseg/nn_act_math.cuh.
 */
public final class Activations {
  private Activations() {}

  private static Tensor forward(String op, Tensor input, int code, float slope) {
    Checks.dtype(op, "input", input, DType.FLOAT32);
    Tensor out = Tensor.empty(input.device(), DType.FLOAT32, input.shape());
    if (out.numel() > 0) {
      input.backend().nn().activation(input, out, code, slope);
    }
    return out;
  }

  private static Tensor backward(String op, String vName, Tensor gradOutput, Tensor v, int code, float slope) {
    Checks.dtype(op, "grad_output", gradOutput, DType.FLOAT32);
    Checks.dtype(op, vName, v, DType.FLOAT32);
    Checks.sameDevice(op, vName, v, "grad_output", gradOutput);
    Checks.sameShape(op, vName, v, "grad_output", gradOutput);
    Tensor gi = Tensor.empty(v.device(), DType.FLOAT32, v.shape());
    if (gi.numel() > 0) {
      v.backend().nn().activationBackward(gradOutput, v, gi, code, slope);
    }
    return gi;
  }

  /** relu6(x) = hardtanh(x, 0, 6) = min(max(x, 0), 6); NaN stays NaN. */
  public static Tensor relu6(Tensor input) {
    return forward("relu6", input, NnKernels.ACT_RELU6, 0f);
  }

  /** hardtanh_backward(grad, input, 0, 6): grad where 0 < input < 6 (or input is NaN), else 0. */
  public static Tensor relu6Backward(Tensor gradOutput, Tensor input) {
    return backward("relu6_backward", "input", gradOutput, input, NnKernels.ACT_RELU6, 0f);
  }

  /** leaky_relu(x, negative_slope) = x > 0 ? x : x * negative_slope (PyTorch's default slope: 0.01). */
  public static Tensor leakyRelu(Tensor input, float negativeSlope) {
    return forward("leaky_relu", input, NnKernels.ACT_LEAKY_RELU, negativeSlope);
  }

  public static Tensor leakyRelu(Tensor input) {
    return leakyRelu(input, 0.01f);
  }

  /** leaky_relu_backward: grad where input > 0, else grad * negative_slope. */
  public static Tensor leakyReluBackward(Tensor gradOutput, Tensor input, float negativeSlope) {
    return backward("leaky_relu_backward", "input", gradOutput, input, NnKernels.ACT_LEAKY_RELU, negativeSlope);
  }

  /** sigmoid(x) = 1 / (1 + exp(-x)). */
  public static Tensor sigmoid(Tensor input) {
    return forward("sigmoid", input, NnKernels.ACT_SIGMOID, 0f);
  }

  /** sigmoid_backward(grad, output) = grad * (1 - output) * output. */
  public static Tensor sigmoidBackward(Tensor gradOutput, Tensor output) {
    return backward("sigmoid_backward", "output", gradOutput, output, NnKernels.ACT_SIGMOID, 0f);
  }

  public static Tensor tanh(Tensor input) {
    return forward("tanh", input, NnKernels.ACT_TANH, 0f);
  }

  /** tanh_backward(grad, output) = grad * (1 - output^2). */
  public static Tensor tanhBackward(Tensor gradOutput, Tensor output) {
    return backward("tanh_backward", "output", gradOutput, output, NnKernels.ACT_TANH, 0f);
  }
}
