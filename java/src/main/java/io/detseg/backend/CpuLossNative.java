package io.detseg.backend;

import io.detseg.nativelib.NativeLibrary;

/** JNI entry points of the CPU loss family (native/jni/jni_loss.cpp → native/cpu/loss_*.cpp). Addresses only. */
public final class CpuLossNative {
  static {
    NativeLibrary.ensureLoaded();
  }

  private CpuLossNative() {}

  /** U-Net weight maps on host memory (CPU-only op; see io.detseg.ops.UnetWeightMap). */
  public static void unetWeightMapHost(long labels, long n, long h, long w, float w0, float sigma, float wcBg,
      float wcFg, long out) {
    unetWeightMap(labels, n, h, w, w0, sigma, wcBg, wcFg, out);
  }

  static native long softmaxLossForward(long x, long target, long weight, long n, long c, long s, int ignoreIndex,
      int mode, float labelSmoothing, float alpha, float gamma, int reduction, long out, long logProb);

  static native long softmaxLossBackward(long x, long target, long weight, long n, long c, long s, int ignoreIndex,
      int mode, float labelSmoothing, float alpha, float gamma, int reduction, long gradOut, boolean gradElementwise,
      long gradIn);

  static native long nllLossForward(long x, long target, long weight, long n, long c, long s, int ignoreIndex,
      int reduction, long out);

  static native long nllLossBackward(long target, long weight, long n, long c, long s, int ignoreIndex, int reduction,
      long gradOut, boolean gradElementwise, long gradIn);

  static native void pointwiseForward(int kind, long x, long t, long w, long wInner, long wMid, long pw, long pwInner,
      long pwMid, float a, float b, long n, int reduction, long out);

  static native void pointwiseBackward(int kind, long x, long t, long w, long wInner, long wMid, long pw,
      long pwInner, long pwMid, float a, float b, long n, int reduction, long gradOut, boolean gradElementwise,
      long gradIn);

  static native void pointwiseFused(int kind, long x, long t, long w, long wInner, long wMid, long pw, long pwInner,
      long pwMid, float a, float b, long n, int reduction, long out, long gradIn);

  static native long firstOutsideUnit(long x, long n);

  static native void rowsHalfSquaredForward(long p, long t, long n, long k, float reg, long out);

  static native void rowsHalfSquaredBackward(long p, long t, long n, long k, long gradOut, boolean gradElementwise,
      float divisor, long gradIn);

  static native long regionLossForward(long x, long tf, long ti, long n, long c, long s, int mode, boolean fromLogits,
      boolean hasIgnore, int ignoreIndex, int kind, float smooth, float eps, boolean logLoss, int reduction, long out);

  static native long regionLossBackward(long x, long tf, long ti, long n, long c, long s, int mode,
      boolean fromLogits, boolean hasIgnore, int ignoreIndex, int kind, float smooth, float eps, boolean logLoss,
      int reduction, long gradOut, long gradIn);

  static native void unetWeightMap(long labels, long n, long h, long w, float w0, float sigma, float wcBg, float wcFg,
      long out);

  static native long gatherByLabel(long src, long labels, long r, long c, long k, long dst);

  static native void scatterByLabel(long src, long labels, long r, long c, long k, long dst);

  static native void labelMasks(long labels, long r, int mode, long target, long weight);

  static native void hardNegativeMining(long loss, long labels, long n, long a, int ratio, long used);

  static native void yoloForward(long pred, long tgt, long n, int grid, int nb, int nc, float lambdaCoord,
      float lambdaNoobj, boolean iouTarget, long outImg);

  static native void yoloBackward(long pred, long tgt, long n, int grid, int nb, int nc, float lambdaCoord,
      float lambdaNoobj, boolean iouTarget, long gradOut, boolean gradElementwise, float divisor, long gradIn);
}
