package io.detseg.ops;

import io.detseg.backend.LossKernels;
import io.detseg.tensor.DType;
import io.detseg.tensor.Device;
import io.detseg.tensor.Shapes;
import io.detseg.tensor.Tensor;
import java.util.Arrays;

/** Argument checks and small helpers shared by the loss functions (all checks run before any kernel). */
final class LossArgs {
  private LossArgs() {}

  /** Sizes of a class-index loss: logits [n, c, s...] flattened as [n, c, s]; targets shaped targetShape. */
  record ClassShape(long n, long c, long s, long[] targetShape) {
    long positions() {
      return n * s;
    }
  }

  /**
   * input [N, C, d1, ..., dk] (k >= 0) with target [N, d1, ..., dk], or input [C] with a 0-d target
   * (PyTorch's unbatched form); targets int32.
   */
  static ClassShape classShape(String op, String inputName, Tensor input, String targetName, Tensor target) {
    Checks.dtype(op, inputName, input, DType.FLOAT32);
    Checks.dtype(op, targetName, target, DType.INT32);
    Checks.sameDevice(op, targetName, target, inputName, input);
    long[] xs = input.shape();
    if (xs.length == 0) {
      throw new IllegalArgumentException(op + ": argument '" + inputName
          + "': expected shape [N, C, d1, ...] or [C] but got a 0-d tensor");
    }
    long[] expected;
    long n;
    long c;
    long s = 1;
    if (xs.length == 1) {
      expected = new long[0];
      n = 1;
      c = xs[0];
    } else {
      expected = new long[xs.length - 1];
      expected[0] = xs[0];
      for (int i = 2; i < xs.length; i++) {
        expected[i - 1] = xs[i];
        s *= xs[i];
      }
      n = xs[0];
      c = xs[1];
    }
    if (!Arrays.equals(target.shape(), expected)) {
      throw new IllegalArgumentException(op + ": argument '" + targetName + "': expected shape "
          + Shapes.format(expected) + " (the shape of '" + inputName + "' " + Shapes.format(xs)
          + " without the class dimension) but got " + Shapes.format(target.shape()));
    }
    if (c < 1) {
      throw new IllegalArgumentException(op + ": argument '" + inputName
          + "': expected at least one class (dimension " + (xs.length == 1 ? 0 : 1) + ") but got shape "
          + Shapes.format(xs));
    }
    Checks.atMostInt(op, inputName + " classes", c);
    return new ClassShape(n, c, s, expected);
  }

  /** An optional class weight: float32 [C] on the input's device. */
  static void classWeight(String op, String arg, Tensor weight, long c, String refArg, Tensor ref) {
    if (weight == null) {
      return;
    }
    Checks.dtype(op, arg, weight, DType.FLOAT32);
    Checks.sameDevice(op, arg, weight, refArg, ref);
    if (weight.dim() != 1 || weight.size(0) != c) {
      throw new IllegalArgumentException(op + ": argument '" + arg + "': expected shape [" + c
          + "] (one weight per class) but got " + Shapes.format(weight.shape()));
    }
  }

  /** gradOutput of a loss: the output's shape for reduction none, else one element. */
  static void gradOutput(String op, Tensor gradOutput, Reduction reduction, long[] noneShape, Tensor ref) {
    Checks.dtype(op, "grad_output", gradOutput, DType.FLOAT32);
    Checks.sameDevice(op, "grad_output", gradOutput, "input", ref);
    if (reduction == Reduction.NONE) {
      if (!Arrays.equals(gradOutput.shape(), noneShape)) {
        throw new IllegalArgumentException(op + ": argument 'grad_output': expected shape " + Shapes.format(noneShape)
            + " (the loss with reduction 'none') but got " + Shapes.format(gradOutput.shape()));
      }
    } else {
      Checks.oneElement(op, "grad_output", gradOutput);
    }
  }

  static void reduction(String op, Reduction reduction) {
    if (reduction == null) {
      throw new IllegalArgumentException(op + ": argument 'reduction': expected 'none', 'mean' or 'sum' but got null");
    }
  }

  static void finite(String op, String arg, float v) {
    if (!Float.isFinite(v)) {
      throw new IllegalArgumentException(op + ": argument '" + arg + "': expected a finite number but got " + v);
    }
  }

  static void range(String op, String arg, float v, float lo, float hi) {
    if (!(v >= lo && v <= hi)) {
      throw new IllegalArgumentException(op + ": argument '" + arg + "': expected a value in [" + lo + ", " + hi
          + "] but got " + v);
    }
  }

  /** The loss of an empty input: an empty 'none' output, 0 for 'sum', NaN for 'mean' (PyTorch's values). */
  static Tensor emptyLoss(Device device, Reduction reduction, long[] noneShape) {
    if (reduction == Reduction.NONE) {
      return Tensor.empty(device, DType.FLOAT32, noneShape);
    }
    return Tensor.scalar(device, reduction == Reduction.SUM ? 0.0f : Float.NaN);
  }

  /** The value of element {@code index} of an int32 tensor (on any device). */
  static int intAt(Tensor t, long index) {
    try (Tensor host = Tensor.empty(Device.CPU, DType.INT32, 1)) {
      t.backend().copyToHost(t.address() + 4L * index, host.address(), 4);
      return host.toIntArray()[0];
    }
  }

  static float floatAt(Tensor t, long index) {
    try (Tensor host = Tensor.empty(Device.CPU, DType.FLOAT32, 1)) {
      t.backend().copyToHost(t.address() + 4L * index, host.address(), 4);
      return host.toFloatArray()[0];
    }
  }

  /** Raises the error for a class target outside [0, C) that is not ignore_index. */
  static void badTarget(String op, String targetName, Tensor target, long position, long c, int ignoreIndex,
      Tensor... toClose) {
    for (Tensor t : toClose) {
      if (t != null) {
        t.close();
      }
    }
    int v = intAt(target, position);
    throw new IllegalArgumentException(op + ": argument '" + targetName + "': expected class indices in [0, " + c
        + ") or ignore_index " + (ignoreIndex == Integer.MIN_VALUE ? "(none)" : String.valueOf(ignoreIndex))
        + " but got " + v + " at flat position " + position);
  }

  /**
   * A weight broadcast over x as w[(i / inner) % mid]: w's shape, right-aligned against x's, must have
   * 1 or x's size in every dim, and its non-1 dims must form one contiguous run of x's dims.
   */
  static LossKernels.Broadcast broadcast(String op, String arg, Tensor w, String refArg, Tensor x) {
    if (w == null) {
      return null;
    }
    Checks.dtype(op, arg, w, DType.FLOAT32);
    Checks.sameDevice(op, arg, w, refArg, x);
    long[] xs = x.shape();
    long[] ws = w.shape();
    String shapes = "shape " + Shapes.format(ws) + " cannot broadcast to '" + refArg + "' " + Shapes.format(xs);
    if (ws.length > xs.length) {
      throw new IllegalArgumentException(op + ": argument '" + arg + "': " + shapes);
    }
    int off = xs.length - ws.length;
    int first = -1;
    int last = -1;
    for (int i = 0; i < xs.length; i++) {
      long wi = i < off ? 1 : ws[i - off];
      if (wi != 1 && wi != xs[i]) {
        throw new IllegalArgumentException(op + ": argument '" + arg + "': " + shapes);
      }
      if (wi != 1) {
        if (first < 0) {
          first = i;
        }
        last = i;
      }
    }
    long mid = 1;
    long inner = 1;
    if (first >= 0) {
      for (int i = first; i <= last; i++) {
        long wi = i < off ? 1 : ws[i - off];
        if (wi != xs[i]) {
          throw new IllegalArgumentException(op + ": argument '" + arg + "': shape " + Shapes.format(ws)
              + " broadcasts over dims of " + Shapes.format(xs)
              + " that are not one contiguous run; detseg supports weights whose non-1 dims are adjacent");
        }
        mid *= xs[i];
      }
      for (int i = last + 1; i < xs.length; i++) {
        inner *= xs[i];
      }
    }
    return new LossKernels.Broadcast(w, Math.max(inner, 1), Math.max(mid, 1));
  }

  /** A 1-element float32 tensor on device (a scalar weight for the broadcast kernels). */
  static Tensor scalar(Device device, float v) {
    return Tensor.of(device, new float[] {v}, 1);
  }
}
