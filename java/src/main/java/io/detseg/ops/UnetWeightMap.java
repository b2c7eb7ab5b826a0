package io.detseg.ops;

import io.detseg.backend.CpuLossNative;
import io.detseg.tensor.DType;
import io.detseg.tensor.Device;
import io.detseg.tensor.Shapes;
import io.detseg.tensor.Tensor;

/**
 * U-Net's pixel weight map (Ronneberger, Fischer, Brox 2015, eq. 2) from instance label maps:
 * w(x) = w_c(x) + w0 * exp(-(d1(x) + d2(x))^2 / (2 sigma^2)), d1 and d2 the Euclidean distances (in
 * pixels) from x to the nearest and the second-nearest instance. Contract (docs/kernels/losses.md):
 * labels are int32 [H, W] or [N, H, W], 0 = background, any positive value = one instance (ids need not
 * be contiguous); the border term applies to background pixels of images with at least two instances;
 * w_c is given (background, foreground) or, by default, balanced per image: N_pixels / (2 N_class).
 * Runs on the CPU only (a host algorithm: exact distance transforms per instance); move labels with
 * Tensor.to(Device.CPU).
 */
public final class UnetWeightMap {
  /** The paper's defaults. */
  public static final float DEFAULT_W0 = 10.0f;
  public static final float DEFAULT_SIGMA = 5.0f;

  private UnetWeightMap() {}

  /** With balanced class weights. */
  public static Tensor weightMap(Tensor labels, float w0, float sigma) {
    return weightMap(labels, w0, sigma, null);
  }

  /** classWeights: {background, foreground}, or null for the per-image balanced weights. */
  public static Tensor weightMap(Tensor labels, float w0, float sigma, float[] classWeights) {
    String op = "unet_weight_map";
    Checks.dtype(op, "labels", labels, DType.INT32);
    if (labels.device() != Device.CPU) {
      throw new IllegalArgumentException(op + ": argument 'labels': expected device cpu (the weight map is a CPU"
          + " algorithm) but got " + labels.device() + "; move it explicitly with Tensor.to(Device.CPU)");
    }
    if (labels.dim() != 2 && labels.dim() != 3) {
      throw new IllegalArgumentException(op + ": argument 'labels': expected shape [H, W] or [N, H, W] but got "
          + Shapes.format(labels.shape()));
    }
    LossArgs.finite(op, "w0", w0);
    LossArgs.finite(op, "sigma", sigma);
    if (!(sigma > 0)) {
      throw new IllegalArgumentException(op + ": argument 'sigma': expected a value > 0 but got " + sigma);
    }
    float bg = -1;
    float fg = -1;
    if (classWeights != null) {
      if (classWeights.length != 2 || !Float.isFinite(classWeights[0]) || !Float.isFinite(classWeights[1])
          || classWeights[0] < 0 || classWeights[1] < 0) {
        throw new IllegalArgumentException(op + ": argument 'class_weights': expected two finite values >= 0"
            + " (background, foreground) but got " + java.util.Arrays.toString(classWeights));
      }
      bg = classWeights[0];
      fg = classWeights[1];
    }
    long n = labels.dim() == 3 ? labels.size(0) : 1;
    long h = labels.size(labels.dim() - 2);
    long w = labels.size(labels.dim() - 1);
    Tensor out = Tensor.empty(Device.CPU, DType.FLOAT32, labels.shape());
    if (out.numel() > 0) {
      CpuLossNative.unetWeightMapHost(labels.address(), n, h, w, w0, sigma, bg, fg, out.address());
    }
    return out;
  }
}
