package io.detseg.ops;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.Devices;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad conv-family calls fail in Java, before any kernel, with messages naming op, argument, expected and got. */
class ConvBadInputTest {
  private static Tensor z(long... shape) {
    long n = 1;
    for (long s : shape) {
      n *= s;
    }
    return Tensor.of(new float[(int) n], shape);
  }

  @Test
  void conv2dArguments() {
    try (Scope s = Scope.open()) {
      Tensor x = z(1, 4, 5, 6);
      expect(() -> Conv.conv2d(x, z(3, 3, 3, 3), null), "conv2d: argument 'weight'", "channel mismatch",
          "[3, 3, 3, 3]");
      expect(() -> Conv.conv2d(x, z(6, 2, 3, 3), null, new int[] {1}, new int[] {0}, new int[] {1}, 3),
          "conv2d: argument 'groups': expected a divisor of the input channels (4) but got 3");
      expect(() -> Conv.conv2d(x, z(5, 2, 3, 3), null, new int[] {1}, new int[] {0}, new int[] {1}, 2),
          "conv2d: argument 'groups': expected a divisor of the output channels", "but got 2");
      expect(() -> Conv.conv2d(x, z(2, 4, 7, 3), null), "conv2d: argument 'weight': expected a kernel no larger than "
          + "the padded input (5 x 6)", "7 x 3");
      expect(() -> Conv.conv2d(x, z(2, 4, 3, 3), null, new int[] {1}, new int[] {0}, new int[] {3}, 1),
          "dilated kernel of 7 x 7");
      expect(() -> Conv.conv2d(x, z(2, 4, 3, 3), null, new int[] {2}, "same", new int[] {1}, 1),
          "conv2d: argument 'padding': 'same' needs stride 1");
      expect(() -> Conv.conv2d(x, z(2, 4, 3, 3), null, new int[] {1}, "sideways", new int[] {1}, 1),
          "conv2d: argument 'padding': expected 'same', 'valid' or one or two integers but got 'sideways'");
      expect(() -> Conv.conv2d(x, z(2, 4, 3, 3), null, new int[] {0}, new int[] {0}, new int[] {1}, 1),
          "conv2d: argument 'stride': expected values >= 1 but got [0, 0]");
      expect(() -> Conv.conv2d(x, z(2, 4, 3, 3), null, new int[] {1, 2, 3}, new int[] {0}, new int[] {1}, 1),
          "conv2d: argument 'stride': expected one or two integers but got [1, 2, 3]");
      expect(() -> Conv.conv2d(x, z(2, 4, 3, 3), null, new int[] {1}, new int[] {-1}, new int[] {1}, 1),
          "conv2d: argument 'padding': expected values >= 0");
      expect(() -> Conv.conv2d(x, z(2, 4, 3, 3), z(3)), "conv2d: argument 'bias': expected shape [2]", "got [3]");
      expect(() -> Conv.conv2d(z(4, 5, 6), z(2, 4, 3, 3), null), "conv2d: argument 'input': expected a 4-D tensor",
          "only 2-D convolution is implemented");
      expect(() -> Conv.conv2d(x, Tensor.of(new int[36], 1, 4, 3, 3), null),
          "conv2d: argument 'weight': expected dtype float32 but got int32");
      expect(() -> Conv.conv2d(x, z(2, 4, 3, 3), null, ConvParams.padded("conv2d", new int[] {1}, new int[] {1, 1},
          new int[] {1}, 1, null)), "conv2d: argument 'pads': expected 4 values");
      expect(() -> Conv.conv2dBackward(z(1, 2, 4, 4), x, z(2, 4, 3, 3), true, ConvParams.defaults()),
          "conv2d_backward: argument 'grad_output': expected shape [1, 2, 3, 4] but got [1, 2, 4, 4]");
    }
  }

  @Test
  void convTranspose2dArguments() {
    try (Scope s = Scope.open()) {
      Tensor x = z(1, 4, 3, 3);
      expect(() -> Conv.convTranspose2d(x, z(3, 2, 3, 3), null, new int[] {1}, new int[] {0}, new int[] {0}, 1,
          new int[] {1}), "conv_transpose2d: argument 'weight': expected weight.size(0) = input channels (4)",
          "channel mismatch");
      expect(() -> Conv.convTranspose2d(x, z(4, 2, 3, 3), null, new int[] {1}, new int[] {0}, new int[] {0}, 3,
          new int[] {1}), "conv_transpose2d: argument 'groups': expected a divisor of the input channels (4) but got 3");
      expect(() -> Conv.convTranspose2d(x, z(4, 2, 3, 3), null, new int[] {2}, new int[] {0}, new int[] {2}, 1,
          new int[] {1}), "conv_transpose2d: argument 'output_padding': expected each value smaller than stride or "
          + "dilation");
      ConvParams p = ConvParams.transposed("conv_transpose2d", new int[] {2}, new int[] {1}, new int[] {0}, 1,
          new int[] {1});
      // min size (3-1)*2 - 2 + 3 = 5, valid sizes 5..6
      expect(() -> Conv.convTranspose2d(x, z(4, 2, 3, 3), null, p, new long[] {7, 5}),
          "conv_transpose2d: argument 'output_size'", "H in [5, 6]", "output shape inconsistent with stride");
      expect(() -> Conv.convTranspose2d(x, z(4, 2, 3, 3), null, new int[] {1}, new int[] {3}, new int[] {0}, 1,
          new int[] {1}), "conv_transpose2d: expected a positive output size");
      expect(() -> Conv.convTranspose2d(x, z(4, 2, 3, 3), z(4), new int[] {1}, new int[] {0}, new int[] {0}, 1,
          new int[] {1}), "conv_transpose2d: argument 'bias': expected shape [2]");
    }
  }

  @Test
  void onnxArguments() {
    try (Scope s = Scope.open()) {
      Tensor x = z(1, 2, 4, 4);
      OnnxConv.Attributes badPads = new OnnxConv.Attributes("NOTSET", null, 1, null, new long[] {1, 1}, null, null,
          null);
      expect(() -> OnnxConv.conv(x, z(3, 2, 3, 3), null, badPads),
          "onnx Conv: attribute 'pads': expected 4 values [top, left, bottom, right]");
      OnnxConv.Attributes badKernel = new OnnxConv.Attributes("NOTSET", null, 1, new long[] {2, 2}, null, null, null,
          null);
      expect(() -> OnnxConv.conv(x, z(3, 2, 3, 3), null, badKernel),
          "onnx Conv: attribute 'kernel_shape': expected [3, 3]");
      OnnxConv.Attributes badAuto = new OnnxConv.Attributes("SAME", null, 1, null, null, null, null, null);
      expect(() -> OnnxConv.conv(x, z(3, 2, 3, 3), null, badAuto), "attribute 'auto_pad': expected NOTSET, VALID");
      // natural output (4-1)*2 + 3 = 9; up to 10 reachable with output padding; 12 is not
      OnnxConv.Attributes badShape = new OnnxConv.Attributes("NOTSET", null, 1, null, null, new long[] {2, 2}, null,
          new long[] {12, 9});
      expect(() -> OnnxConv.convTranspose(x, z(2, 3, 3, 3), null, badShape),
          "onnx ConvTranspose: attribute 'output_shape'", "output shape inconsistent with stride");
      expect(() -> OnnxConv.conv(z(1, 2, 5), z(3, 2, 3), null, OnnxConv.Attributes.defaults()),
          "only 2-D convolution is implemented", "(a 1-D convolution)");
    }
  }

  @Test
  void linearAndMatmulArguments() {
    Devices.assumeUsable(Device.CUDA_SIM);
    try (Scope s = Scope.open()) {
      expect(() -> Conv.matmul(z(2, 3), z(4, 5)), "matmul: argument 'other': expected 3 rows", "[4, 5]");
      expect(() -> Conv.matmul(z(2, 3, 1), z(3, 5)), "matmul: argument 'input': expected a 2-D tensor");
      expect(() -> Conv.linear(z(2, 3), z(4, 5), null), "linear: argument 'weight': expected 3 columns", "[4, 5]");
      expect(() -> Conv.linear(z(2, 5), z(4, 5), z(3)), "linear: argument 'bias': expected shape [4] but got [3]");
      expect(() -> Conv.linear(z(2, 5), Tensor.of(Device.CUDA_SIM, new float[20], 4, 5), null),
          "linear: argument 'weight': expected device cpu", "cuda-sim");
      expect(() -> Conv.linearBackward(z(2, 3), z(2, 5), z(4, 5), true),
          "linear_backward: argument 'grad_output': expected shape [2, 4] but got [2, 3]");
    }
  }

  private static void expect(Executable call, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
    }
  }
}
