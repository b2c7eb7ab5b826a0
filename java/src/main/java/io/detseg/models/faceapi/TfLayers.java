package io.detseg.models.faceapi;

import io.detseg.ops.Activations;
import io.detseg.ops.BatchNorm;
import io.detseg.ops.Conv;
import io.detseg.ops.ConvParams;
import io.detseg.ops.Pooling;
import io.detseg.ops.Views;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;

/**
 * TensorFlow's layer conventions on detseg ops: TF weight layouts converted once to PyTorch's, and
 * TF's SAME padding (extra row/column at the end when the total is odd) as explicit asymmetric pads.
 */
final class TfLayers {
  private TfLayers() {}

  /** TF conv filter [kh, kw, cin, cout] → [cout, cin, kh, kw] on the device. */
  static Tensor convFilter(Tensor tf, Device device) {
    try (Scope s = Scope.open()) {
      return s.keep(Views.permute(tf.to(device), 3, 2, 0, 1));
    }
  }

  /** TF depthwise filter [kh, kw, c, 1] → [c, 1, kh, kw] on the device. */
  static Tensor depthwiseFilter(Tensor tf, Device device) {
    try (Scope s = Scope.open()) {
      return s.keep(Views.permute(tf.to(device), 2, 3, 0, 1));
    }
  }

  /** TF SAME pads (top, left, bottom, right) for a k×k window with this stride over h×w. */
  static int[] samePads(long h, long w, int k, int stride) {
    int ph = samePadTotal(h, k, stride);
    int pw = samePadTotal(w, k, stride);
    return new int[] {ph / 2, pw / 2, ph - ph / 2, pw - pw / 2};
  }

  private static int samePadTotal(long in, int k, int stride) {
    long out = (in + stride - 1) / stride;
    return (int) Math.max(0, (out - 1) * stride + k - in);
  }

  /** conv2d with TF SAME padding (weight in PyTorch layout, k = its spatial size). */
  static Tensor convSame(Tensor x, Tensor weight, Tensor bias, int stride, int groups) {
    int k = (int) weight.size(2);
    int[] pads = samePads(x.size(2), x.size(3), k, stride);
    return Conv.conv2d(x, weight, bias, ConvParams.padded("conv2d", new int[] {stride, stride}, pads,
        new int[] {1, 1}, groups, null));
  }

  /** conv2d with no padding (TF VALID). */
  static Tensor convValid(Tensor x, Tensor weight, Tensor bias, int groups) {
    return Conv.conv2d(x, weight, bias, ConvParams.padded("conv2d", new int[] {1, 1}, new int[4], new int[] {1, 1},
        groups, null));
  }

  /** Max pooling with TF SAME padding: padded cells never win (they are not candidates at all). */
  static Tensor maxPoolSame(Tensor x, int k, int stride) {
    Pooling.Spec spec = Pooling.Spec.onnx("max_pool2d", new long[] {k, k}, new long[] {stride, stride}, null, null,
        false, "SAME_UPPER", x.size(2), x.size(3));
    Pooling.WithIndices r = Pooling.maxPool2d(x, spec);
    r.indices().close();
    return r.output();
  }

  /** Inference batch norm: beta + (x − mean) · gamma / sqrt(var + eps), per channel. */
  static Tensor batchNorm(Tensor x, Tensor mean, Tensor var, Tensor gamma, Tensor beta, float eps) {
    BatchNorm.Result r = BatchNorm.batchNorm(x, mean, var, gamma, beta, false, 0.1f, eps);
    r.saveMean().close();
    r.saveInvstd().close();
    return r.output();
  }

  /** (x − subtract[c]) · multiply + add per channel: inference batch norm with var 1 and eps 0. */
  static Tensor channelAffine(Tensor x, float[] subtract, float multiply, float add) {
    int c = subtract.length;
    float[] mul = new float[c];
    float[] shift = new float[c];
    float[] ones = new float[c];
    java.util.Arrays.fill(mul, multiply);
    java.util.Arrays.fill(shift, add);
    java.util.Arrays.fill(ones, 1f);
    Device d = x.device();
    try (Scope s = Scope.open()) {
      return s.keep(batchNorm(x, Tensor.of(d, subtract.clone()), Tensor.of(d, ones), Tensor.of(d, mul),
          Tensor.of(d, shift), 0f));
    }
  }

  static Tensor relu6(Tensor x) {
    return Activations.relu6(x);
  }

  static Tensor leaky(Tensor x) {
    return Activations.leakyRelu(x, 0.1f);
  }
}
