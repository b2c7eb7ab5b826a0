package io.detseg.ops.nn;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.Devices;
import io.detseg.ops.Activations;
import io.detseg.ops.BatchNorm;
import io.detseg.ops.Concat;
import io.detseg.ops.Padding;
import io.detseg.ops.Pooling;
import io.detseg.ops.Resize;
import io.detseg.ops.registry.OpRegistry;
import io.detseg.ops.registry.OpSpec;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad calls to the nn ops fail in Java (or, for index contents only the kernel sees, right after it) with clear messages. */
class NnBadInputTest {
  static Stream<Device> devices() {
    return Devices.all();
  }

  private static Tensor zeros(Device d, long... shape) {
    return Tensor.of(d, new float[(int) java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b)], shape);
  }

  @Test
  void pooling() {
    try (Scope s = Scope.open()) {
      Tensor x = zeros(Device.CPU, 1, 3, 5, 6);
      expect(() -> Pooling.maxPool2d(x, new int[] {3}, null, new int[] {2}, null, false), "max_pool2d",
          "argument 'padding'", "at most half of kernel_size [3, 3]", "[2, 2]");
      expect(() -> Pooling.maxPool2d(x, new int[] {0}, null, null, null, false), "max_pool2d",
          "argument 'kernel_size'", "values >= 1");
      expect(() -> Pooling.maxPool2d(x, new int[] {7}, null, null, null, false), "max_pool2d",
          "output size is too small");
      expect(() -> Pooling.maxPool2d(x, new int[] {3, 3, 3}, null, null, null, false), "argument 'kernel_size'",
          "one int or two ints");
      expect(() -> Pooling.maxPool2d(zeros(Device.CPU, 5, 6), new int[] {2}, null, null, null, false),
          "argument 'input'", "3-D [C, H, W] or 4-D [N, C, H, W]", "[5, 6]");
      expect(() -> Pooling.maxPool2d(Tensor.of(new int[30], 1, 1, 5, 6), new int[] {2}, null, null, null, false),
          "expected dtype float32 but got int32");
      expect(() -> Pooling.maxPool2d(zeros(Device.CPU, 1, 0, 5, 6), new int[] {2}, null, null, null, false),
          "non-zero C, H and W");
      expect(() -> Pooling.avgPool2d(x, new int[] {2}, null, null, false, true, -1), "avg_pool2d",
          "argument 'divisor_override'");
      Pooling.WithIndices p = Pooling.maxPool2d(x, new int[] {2}, null, null, null, false);
      expect(() -> Pooling.maxPool2dBackward(zeros(Device.CPU, 1, 3, 3, 3), x, new int[] {2}, null, null, null, false,
          p.indices()), "max_pool2d_backward", "argument 'grad_output'", "expected shape [1, 3, 2, 3]");
      expect(() -> Pooling.maxPool2dBackward(p.output(), x, new int[] {2}, null, null, null, false, p.output()),
          "argument 'indices'", "expected dtype int32");
      expect(() -> Pooling.adaptiveAvgPool2d(x, new int[] {0, 2}), "adaptive_avg_pool2d", "output_size");
      expect(() -> Pooling.maxUnpool2d(p.output(), p.indices(), new int[] {2}, null, null, new long[] {9, 6}),
          "max_unpool2d", "argument 'output_size'", "between 2 and 6");
      expect(() -> Pooling.maxUnpool2d(p.output(), Tensor.of(new int[6], 1, 3, 1, 2), new int[] {2}, null, null, null),
          "max_unpool2d", "argument 'indices'", "expected shape [1, 3, 2, 3]");
      expect(() -> Pooling.Spec.onnx("MaxPool", new long[] {2}, null, null, null, false, "NOTSET", 5, 6),
          "MaxPool", "kernel_shape", "2-D pooling");
      expect(() -> Pooling.Spec.onnx("MaxPool", new long[] {2, 2}, null, new long[] {2, 0, 0, 0}, null, false,
          "NOTSET", 5, 6), "MaxPool", "pads", "every window must overlap the input");
      expect(() -> Pooling.Spec.onnx("MaxPool", new long[] {2, 2}, null, null, null, false, "SAME", 5, 6),
          "auto_pad");
    }
  }

  /** Index contents are only seen by the kernels: out-of-range indices come back as an exception, never a crash. */
  @ParameterizedTest
  @MethodSource("devices")
  void unpoolIndicesOutOfRange(Device d) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(d, new float[] {1, 2, 3, 4}, 1, 1, 2, 2);
      Tensor bad = Tensor.of(d, new int[] {0, 5, 16, 3}, 1, 1, 2, 2);
      expect(() -> Pooling.maxUnpool2d(x, bad, 4, 4), "max_unpool2d", "argument 'indices'", "[0, 16)");
      Tensor neg = Tensor.of(d, new int[] {0, -1, 2, 3}, 1, 1, 2, 2);
      expect(() -> Pooling.maxUnpool2dBackward(zeros(d, 1, 1, 4, 4), x, neg), "max_unpool2d_backward",
          "argument 'indices'");
      // ONNX indices that point into another plane come out of range as well.
      Tensor two = Tensor.of(d, new float[] {1, 2}, 1, 2, 1, 1);
      Tensor onnx = Tensor.of(d, new int[] {3, 1}, 1, 2, 1, 1);  // plane 1's index 1 is global 5; 1 is plane 0's
      expect(() -> Pooling.maxUnpool2d(two, Pooling.fromOnnxIndices(onnx, 2, 2), 2, 2), "max_unpool2d", "indices");
    }
  }

  @Test
  void resize() {
    try (Scope s = Scope.open()) {
      Tensor x = zeros(Device.CPU, 1, 2, 4, 5);
      expect(() -> Resize.interpolate(x, new long[] {8, 8}, new double[] {2}, "nearest", null, null), "interpolate",
          "exactly one of size and scale_factor", "both");
      expect(() -> Resize.interpolate(x, null, null, "nearest", null, null), "exactly one", "neither");
      expect(() -> Resize.interpolate(x, new long[] {8, 8}, null, "nearest", true, null), "argument 'align_corners'",
          "interpolating modes");
      expect(() -> Resize.interpolate(x, new long[] {8, 8}, null, "area", null, null), "argument 'mode'", "'area'");
      expect(() -> Resize.interpolate(x, new long[] {0, 8}, null, "bilinear", false, null), "argument 'size'",
          "greater than 0");
      expect(() -> Resize.interpolate(x, null, new double[] {-1}, "bilinear", false, null), "argument 'scale_factor'");
      expect(() -> Resize.interpolate(x, new long[] {8, 8}, null, "bilinear", false, true),
          "argument 'recompute_scale_factor'");
      expect(() -> Resize.interpolate(zeros(Device.CPU, 2, 4, 5), new long[] {8}, null, "nearest", null, null),
          "interpolate", "4-D [N, C, H, W]");
      expect(() -> Resize.onnxSpec("Resize", 1, 2, 4, 5, null, new long[] {1, 2, 8, 8}, "linear",
          "tf_crop_and_resize", null, -0.75f, false), "coordinate_transformation_mode", "not supported");
      expect(() -> Resize.onnxSpec("Resize", 1, 2, 4, 5, new float[] {2, 1, 2, 2}, null, "linear", "half_pixel",
          null, -0.75f, false), "argument 'scales'", "only H and W");
      expect(() -> Resize.onnxSpec("Resize", 1, 2, 4, 5, null, new long[] {1, 2, 8, 8}, "area", null, null, -0.75f,
          false), "argument 'mode'", "nearest, linear or cubic");
      expect(() -> Resize.bedOfNails(x, new int[] {0}), "upsample_bed_of_nails", "scale_factor");
      Resize.Spec spec = Resize.interpolateSpec("interpolate", 4, 5, new long[] {8, 8}, null, "nearest", null, null);
      expect(() -> Resize.resizeBackward(zeros(Device.CPU, 1, 2, 8, 9), x, spec), "resize_backward",
          "argument 'grad_output'", "[1, 2, 8, 8]");
    }
  }

  @Test
  void batchNorm() {
    try (Scope s = Scope.open()) {
      Tensor x = zeros(Device.CPU, 2, 3, 4);
      Tensor c3 = zeros(Device.CPU, 3);
      Tensor c4 = zeros(Device.CPU, 4);
      expect(() -> BatchNorm.batchNorm(x, c3, c3, c4, c3, false, 0.1f, 1e-5f), "batch_norm", "argument 'weight'",
          "expected shape [3]", "[4]");
      expect(() -> BatchNorm.batchNorm(x, null, null, c3, c3, false, 0.1f, 1e-5f), "batch_norm",
          "argument 'running_mean'", "evaluation mode");
      expect(() -> BatchNorm.batchNorm(x, c3, null, null, null, true, 0.1f, 1e-5f), "running_var",
          "both given or both None");
      expect(() -> BatchNorm.batchNorm(zeros(Device.CPU, 1, 3, 1, 1), null, null, null, null, true, 0.1f, 1e-5f),
          "more than 1 value per channel when training");
      expect(() -> BatchNorm.batchNorm(zeros(Device.CPU, 6), null, null, null, null, true, 0.1f, 1e-5f),
          "at least 2 dimensions");
      expect(() -> BatchNorm.batchNormBackward(x, x, null, null, null, null, null, true, 1e-5f),
          "batch_norm_backward", "save_mean");
    }
  }

  @Test
  void activationsCatSplitPad() {
    try (Scope s = Scope.open()) {
      Tensor x = zeros(Device.CPU, 2, 3, 4, 5);
      expect(() -> Activations.sigmoid(Tensor.of(new int[4], 4)), "sigmoid", "expected dtype float32");
      expect(() -> Activations.tanhBackward(zeros(Device.CPU, 3), zeros(Device.CPU, 4)), "tanh_backward",
          "argument 'output'", "expected shape [3]");
      expect(() -> Concat.cat(List.of(x, zeros(Device.CPU, 2, 3, 5, 5)), 1), "cat", "argument 'tensors[1]'",
          "[2, 3, 5, 5]");
      expect(() -> Concat.cat(List.of(x, Tensor.of(new int[120], 2, 3, 4, 5)), 1), "cat", "tensors[1]",
          "expected dtype float32 but got int32");
      expect(() -> Concat.cat(List.of(x, x), 4), "cat", "argument 'dim'", "[-4, 3]");
      expect(() -> Concat.cat(List.of(), 0), "cat", "non-empty list");
      expect(() -> Concat.splitSections(x, new long[] {1, 1}, 1), "split", "sizes summing to 3");
      expect(() -> Concat.split(x, 0, 1), "split", "positive split size");
      expect(() -> Padding.pad(x, new int[] {5, 0, 0, 0}, "reflect", 0f), "pad", "argument 'pad'",
          "smaller than the padded dimension");
      expect(() -> Padding.pad(x, new int[] {1, 2, 3}, "constant", 0f), "pad", "2 values (left, right) or 4");
      expect(() -> Padding.pad(x, new int[] {-1, 0, 0, 0}, "replicate", 0f), "non-negative values in mode 'replicate'");
      expect(() -> Padding.pad(x, new int[] {-3, -3}, "constant", 0f), "non-negative output size");
      expect(() -> Padding.pad(x, new int[] {1, 1}, "circular", 0f), "argument 'mode'", "'circular'");
      expect(() -> Padding.pad(zeros(Device.CPU, 2, 3, 4, 5, 6), new int[] {1, 1, 1, 1}, "reflect", 0f),
          "3-D or 4-D for 4 pad values");
    }
  }

  @Test
  void devicesMustMatch() {
    Devices.assumeUsable(Device.CUDA_SIM);
    try (Scope s = Scope.open()) {
      Tensor x = zeros(Device.CPU, 2, 3, 4);
      Tensor w = zeros(Device.CUDA_SIM, 3);
      expect(() -> BatchNorm.batchNorm(x, null, null, w, null, true, 0.1f, 1e-5f), "batch_norm", "argument 'weight'",
          "expected device cpu", "cuda-sim");
      expect(() -> Concat.cat(List.of(x, zeros(Device.CUDA_SIM, 2, 3, 4)), 0), "cat", "tensors[1]", "expected device");
    }
  }

  @Test
  void registryParameters() {
    try (Scope s = Scope.open()) {
      Map<String, Tensor> in = Map.of("input", zeros(Device.CPU, 1, 2, 6, 6));
      OpSpec mp = OpRegistry.get("max_pool2d");
      expect(() -> mp.forward().apply(in, mp.params(Map.of("kernel_size", "2", "stride", "x"))), "max_pool2d",
          "parameter 'stride'", "'x'");
      expect(() -> mp.params(Map.of()), "max_pool2d", "parameter 'kernel_size' is required");
      OpSpec ip = OpRegistry.get("interpolate");
      expect(() -> ip.forward().apply(in, ip.params(Map.of("size", "8", "align_corners", "maybe"))),
          "parameter 'align_corners'", "none, true or false");
      OpSpec sp = OpRegistry.get("split");
      expect(() -> sp.forward().apply(in, sp.params(Map.of("split_size_or_sections", "1", "dim", "2"))), "split",
          "exactly two pieces");
    }
  }

  private static void expect(Executable call, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
    }
  }
}
