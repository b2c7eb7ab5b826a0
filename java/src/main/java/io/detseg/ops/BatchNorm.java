package io.detseg.ops;

import io.detseg.tensor.DType;
import io.detseg.tensor.Shapes;
import io.detseg.tensor.Tensor;

/**
 * torch.nn.functional.batch_norm (PyTorch 1.13) over an input [N, C, *] (any number of spatial
 * dimensions, none included), forward and backward. Training normalizes with the batch statistics
 * (biased variance) and, when running statistics are given, updates them in place with momentum
 * (the running variance with the unbiased estimate); inference uses the running statistics.
 */
public final class BatchNorm {
  private BatchNorm() {}

  /** output, and the statistics the backward needs (PyTorch's save_mean / save_invstd; in inference the running mean and 1/sqrt(running_var + eps)). */
  public record Result(Tensor output, Tensor saveMean, Tensor saveInvstd) {}

  /** Gradients of input, weight and bias (the last two are [C], computed even when weight/bias are None). */
  public record Grads(Tensor gradInput, Tensor gradWeight, Tensor gradBias) {}

  private static long spatial(Tensor input) {
    long s = 1;
    for (int d = 2; d < input.dim(); d++) {
      s *= input.size(d);
    }
    return s;
  }

  private static void channelVector(String op, String arg, Tensor t, Tensor input, long c) {
    if (t == null) {
      return;
    }
    Checks.dtype(op, arg, t, DType.FLOAT32);
    Checks.sameDevice(op, arg, t, "input", input);
    NnChecks.shape(op, arg, t, c);
  }

  private static long checkInput(String op, Tensor input, Tensor runningMean, Tensor runningVar, Tensor weight,
      Tensor bias, boolean training) {
    Checks.dtype(op, "input", input, DType.FLOAT32);
    if (input.dim() < 2) {
      throw NnChecks.error(op, "input", "at least 2 dimensions [N, C, *]", "shape " + Shapes.format(input.shape()));
    }
    long c = input.size(1);
    if (c < 1 || c > Integer.MAX_VALUE) {
      throw NnChecks.error(op, "input", "between 1 and " + Integer.MAX_VALUE + " channels", Long.toString(c));
    }
    channelVector(op, "running_mean", runningMean, input, c);
    channelVector(op, "running_var", runningVar, input, c);
    channelVector(op, "weight", weight, input, c);
    channelVector(op, "bias", bias, input, c);
    if ((runningMean == null) != (runningVar == null)) {
      throw NnChecks.error(op, runningMean == null ? "running_mean" : "running_var",
          "running_mean and running_var both given or both None", "only one of them");
    }
    if (!training && runningMean == null) {
      throw NnChecks.error(op, "running_mean", "running_mean and running_var in evaluation mode (training=False)",
          "None");
    }
    if (training && input.numel() / c <= 1) {
      throw NnChecks.error(op, "input", "more than 1 value per channel when training", "shape "
          + Shapes.format(input.shape()));
    }
    return c;
  }

  /** torch.nn.functional.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps). */
  public static Result batchNorm(Tensor input, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
      boolean training, float momentum, float eps) {
    return batchNorm(input, runningMean, runningVar, weight, bias, training, momentum, eps, true);
  }

  /**
   * As {@link #batchNorm(Tensor, Tensor, Tensor, Tensor, Tensor, boolean, float, float)}, choosing the
   * variance the running statistics take in training: unbiased (PyTorch) or biased (ONNX
   * BatchNormalization with training_mode = 1, whose momentum m is PyTorch's 1 - m).
   */
  public static Result batchNorm(Tensor input, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
      boolean training, float momentum, float eps, boolean unbiasedRunningVar) {
    String op = "batch_norm";
    long c = checkInput(op, input, runningMean, runningVar, weight, bias, training);
    if (!(eps >= 0)) {
      throw NnChecks.error(op, "eps", "a non-negative value", Float.toString(eps));
    }
    Tensor out = Tensor.empty(input.device(), DType.FLOAT32, input.shape());
    Tensor mean = Tensor.empty(input.device(), DType.FLOAT32, c);
    Tensor invstd = Tensor.empty(input.device(), DType.FLOAT32, c);
    if (input.numel() == 0) {
      input.backend().fillBytes(mean.address(), (byte) 0, mean.byteSize());
      input.backend().fillBytes(invstd.address(), (byte) 0, invstd.byteSize());
      return new Result(out, mean, invstd);
    }
    input.backend().nn().batchNorm(input, out, input.size(0), (int) c, spatial(input), weight, bias,
        runningMean, runningVar, training, momentum, eps, unbiasedRunningVar, mean, invstd);
    return new Result(out, mean, invstd);
  }

  /**
   * The backward of batch_norm. Training uses saveMean / saveInvstd from the forward; inference uses the
   * running statistics and eps (saveMean / saveInvstd may then be null).
   */
  public static Grads batchNormBackward(Tensor gradOutput, Tensor input, Tensor weight, Tensor runningMean,
      Tensor runningVar, Tensor saveMean, Tensor saveInvstd, boolean training, float eps) {
    String op = "batch_norm_backward";
    long c = checkInput(op, input, runningMean, runningVar, weight, null, training);
    Checks.dtype(op, "grad_output", gradOutput, DType.FLOAT32);
    Checks.sameDevice(op, "grad_output", gradOutput, "input", input);
    Checks.sameShape(op, "grad_output", gradOutput, "input", input);
    if (training) {
      if (saveMean == null || saveInvstd == null) {
        throw NnChecks.error(op, saveMean == null ? "save_mean" : "save_invstd",
            "the statistics saved by the training forward", "None");
      }
      channelVector(op, "save_mean", saveMean, input, c);
      channelVector(op, "save_invstd", saveInvstd, input, c);
    }
    Tensor gi = Tensor.empty(input.device(), DType.FLOAT32, input.shape());
    Tensor gw = Tensor.empty(input.device(), DType.FLOAT32, c);
    Tensor gb = Tensor.empty(input.device(), DType.FLOAT32, c);
    if (input.numel() == 0) {
      input.backend().fillBytes(gw.address(), (byte) 0, gw.byteSize());
      input.backend().fillBytes(gb.address(), (byte) 0, gb.byteSize());
      return new Grads(gi, gw, gb);
    }
    input.backend().nn().batchNormBackward(gradOutput, input, input.size(0), (int) c, spatial(input), weight,
        runningMean, runningVar, training ? saveMean : null, training ? saveInvstd : null, training, eps, gi, gw, gb);
    return new Grads(gi, gw, gb);
  }
}
