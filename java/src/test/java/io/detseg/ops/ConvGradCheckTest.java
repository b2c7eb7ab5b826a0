package io.detseg.ops;

import io.detseg.Devices;
import io.detseg.tensor.Device;
import io.detseg.tensor.Tensor;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Finite-difference checks of every backward of the conv family (GradCheck), on every backend: each
 * gradient (input, weight, bias) of conv2d through each of its paths (implicit GEMM with stride,
 * asymmetric padding, dilation and groups; depthwise stride 1 and 2; 1x1; 1x1 maps), of
 * conv_transpose2d (GEMM and depthwise, output_padding, ONNX output_shape with a negative pad), of
 * linear and of matmul. Every op here is linear in the argument checked, so the central difference is
 * exact up to float rounding and a large step (0.25) keeps that rounding small.
 */
class ConvGradCheckTest {
  private static final float H = 0.25f;
  private static final float TOL = 2e-3f;

  static Stream<Device> devices() {
    return Devices.all();
  }

  private static float[] rand(int seed, long... shape) {
    long n = 1;
    for (long s : shape) {
      n *= s;
    }
    Random r = new Random(seed);
    float[] v = new float[(int) n];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }

  /** Checks d/dinput, d/dweight and d/dbias of conv2d with these shapes and parameters. */
  private static void conv2d(String name, Device d, long[] xs, long[] ws, ConvParams p) {
    long cOut = ws[0];
    float[] x = rand(1, xs), w = rand(2, ws), b = rand(3, cOut);
    try (Tensor tx = Tensor.of(d, x, xs); Tensor tw = Tensor.of(d, w, ws); Tensor tb = Tensor.of(d, b, cOut)) {
      GradCheck.check(name + " d/dinput", d, x.clone(), xs, v -> Conv.conv2d(v, tw, tb, p),
          (g, v) -> Conv.conv2dBackward(g, v, tw, true, p).gradInput(), H, TOL);
      GradCheck.check(name + " d/dweight", d, w.clone(), ws, v -> Conv.conv2d(tx, v, tb, p),
          (g, v) -> Conv.conv2dBackward(g, tx, v, true, p).gradWeight(), H, TOL);
      GradCheck.check(name + " d/dbias", d, b.clone(), new long[] {cOut}, v -> Conv.conv2d(tx, tw, v, p),
          (g, v) -> Conv.conv2dBackward(g, tx, tw, true, p).gradBias(), H, TOL);
    }
  }

  private static void convTranspose2d(String name, Device d, long[] xs, long[] ws, ConvParams p, long[] size) {
    long cOut = ws[1] * p.groups();
    float[] x = rand(4, xs), w = rand(5, ws), b = rand(6, cOut);
    try (Tensor tx = Tensor.of(d, x, xs); Tensor tw = Tensor.of(d, w, ws); Tensor tb = Tensor.of(d, b, cOut)) {
      GradCheck.check(name + " d/dinput", d, x.clone(), xs, v -> Conv.convTranspose2d(v, tw, tb, p, size),
          (g, v) -> Conv.convTranspose2dBackward(g, v, tw, true, p, size).gradInput(), H, TOL);
      GradCheck.check(name + " d/dweight", d, w.clone(), ws, v -> Conv.convTranspose2d(tx, v, tb, p, size),
          (g, v) -> Conv.convTranspose2dBackward(g, tx, v, true, p, size).gradWeight(), H, TOL);
      GradCheck.check(name + " d/dbias", d, b.clone(), new long[] {cOut}, v -> Conv.convTranspose2d(tx, tw, v, p, size),
          (g, v) -> Conv.convTranspose2dBackward(g, tx, tw, true, p, size).gradBias(), H, TOL);
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void conv2dGemmPathStridedDilatedGroupedAsymmetric(Device d) {
    Devices.assumeUsable(d);
    conv2d("conv2d gemm", d, new long[] {2, 4, 7, 6}, new long[] {6, 2, 3, 2},
        ConvParams.padded("conv2d", new int[] {2, 1}, new int[] {1, 0, 2, 1}, new int[] {2, 1}, 2, null));
  }

  @ParameterizedTest
  @MethodSource("devices")
  void conv2dDepthwiseStride1AndStride2(Device d) {
    Devices.assumeUsable(d);
    conv2d("conv2d depthwise s1", d, new long[] {1, 3, 6, 7}, new long[] {6, 1, 3, 3},
        ConvParams.of("conv2d", new int[] {1}, new int[] {1}, new int[] {1}, 3));
    conv2d("conv2d depthwise s2", d, new long[] {2, 2, 7, 5}, new long[] {2, 1, 3, 2},
        ConvParams.of("conv2d", new int[] {2}, new int[] {1, 0}, new int[] {2, 1}, 2));
  }

  @ParameterizedTest
  @MethodSource("devices")
  void conv2dPointwiseAndOneByOneMaps(Device d) {
    Devices.assumeUsable(d);
    conv2d("conv2d 1x1", d, new long[] {2, 3, 3, 4}, new long[] {5, 3, 1, 1}, ConvParams.defaults());
    conv2d("conv2d 1x1 maps k3", d, new long[] {3, 2, 1, 1}, new long[] {3, 2, 3, 3},
        ConvParams.of("conv2d", new int[] {1}, new int[] {1}, new int[] {1}, 1));
  }

  @ParameterizedTest
  @MethodSource("devices")
  void convTranspose2dWithOutputPaddingGroupsDilation(Device d) {
    Devices.assumeUsable(d);
    convTranspose2d("conv_transpose2d", d, new long[] {2, 4, 3, 4}, new long[] {4, 2, 3, 2},
        ConvParams.transposed("conv_transpose2d", new int[] {2, 3}, new int[] {1, 0}, new int[] {1, 2}, 2,
            new int[] {1, 2}), null);
    convTranspose2d("conv_transpose2d depthwise", d, new long[] {1, 3, 4, 3}, new long[] {3, 1, 3, 3},
        ConvParams.transposed("conv_transpose2d", new int[] {1}, new int[] {1}, new int[] {0}, 3, new int[] {1}), null);
    convTranspose2d("conv_transpose2d output_size", d, new long[] {1, 2, 3, 2}, new long[] {2, 3, 2, 3},
        ConvParams.transposed("conv_transpose2d", new int[] {3}, new int[] {0}, new int[] {0}, 1, new int[] {1}),
        new long[] {9, 7});
  }

  @ParameterizedTest
  @MethodSource("devices")
  void onnxConvTransposeWithNegativePad(Device d) {
    Devices.assumeUsable(d);
    // output_shape 4 < the natural 3*(2-1)+2 = 5 with no output_padding: ONNX derives a begin pad of 1
    OnnxConv.Attributes a = new OnnxConv.Attributes("NOTSET", null, 1, null, null, new long[] {3, 3}, null,
        new long[] {4, 7});
    long[] xs = {1, 2, 2, 2};
    long[] ws = {2, 3, 2, 2};
    float[] x = rand(7, xs), w = rand(8, ws);
    try (Tensor tw = Tensor.of(d, w, ws); Tensor tx = Tensor.of(d, x, xs)) {
      GradCheck.check("onnx ConvTranspose d/dX", d, x.clone(), xs, v -> OnnxConv.convTranspose(v, tw, null, a),
          (g, v) -> OnnxConv.convTransposeBackward(g, v, tw, false, a).gradInput(), H, TOL);
      GradCheck.check("onnx ConvTranspose d/dW", d, w.clone(), ws, v -> OnnxConv.convTranspose(tx, v, null, a),
          (g, v) -> OnnxConv.convTransposeBackward(g, tx, v, false, a).gradWeight(), H, TOL);
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void linearAndMatmul(Device d) {
    Devices.assumeUsable(d);
    long[] xs = {2, 3, 5};
    long[] ws = {4, 5};
    float[] x = rand(9, xs), w = rand(10, ws), b = rand(11, 4);
    try (Tensor tx = Tensor.of(d, x, xs); Tensor tw = Tensor.of(d, w, ws); Tensor tb = Tensor.of(d, b, 4)) {
      GradCheck.check("linear d/dinput", d, x.clone(), xs, v -> Conv.linear(v, tw, tb),
          (g, v) -> Conv.linearBackward(g, v, tw, true).gradInput(), H, TOL);
      GradCheck.check("linear d/dweight", d, w.clone(), ws, v -> Conv.linear(tx, v, tb),
          (g, v) -> Conv.linearBackward(g, tx, v, true).gradWeight(), H, TOL);
      GradCheck.check("linear d/dbias", d, b.clone(), new long[] {4}, v -> Conv.linear(tx, tw, v),
          (g, v) -> Conv.linearBackward(g, tx, tw, true).gradBias(), H, TOL);
    }
    long[] as = {3, 5};
    long[] bs = {5, 2};
    float[] a = rand(12, as), bm = rand(13, bs);
    try (Tensor ta = Tensor.of(d, a, as); Tensor tbm = Tensor.of(d, bm, bs)) {
      GradCheck.check("matmul d/dinput", d, a.clone(), as, v -> Conv.matmul(v, tbm),
          (g, v) -> Conv.matmulBackward(g, v, tbm)[0], H, TOL);
      GradCheck.check("matmul d/dother", d, bm.clone(), bs, v -> Conv.matmul(ta, v),
          (g, v) -> Conv.matmulBackward(g, ta, v)[1], H, TOL);
    }
  }
}
