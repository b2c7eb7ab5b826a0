package io.detseg.backend;

import io.detseg.nativelib.NativeLibrary;

/** JNI entry points of the nn family on the CPU (native/jni/jni_nn.cpp → native/cpu/nn_*.cpp). Addresses only. */
final class CpuNnNative {
  static {
    NativeLibrary.ensureLoaded();
  }

  private CpuNnNative() {}

  static native void maxPool2d(long x, long y, long indices, long[] geom);

  static native void avgPool2d(long x, long y, long[] geom, int countIncludePad, int divisorOverride);

  static native void maxPool2dBackward(long grad, long indices, long gradInput, long[] geom);

  static native void avgPool2dBackward(long grad, long gradInput, long[] geom, int countIncludePad,
      int divisorOverride);

  static native void adaptiveAvgPool2d(long x, long y, long planes, int h, int w, int outH, int outW);

  static native void adaptiveMaxPool2d(long x, long y, long indices, long planes, int h, int w, int outH, int outW);

  static native void adaptiveAvgPool2dBackward(long grad, long gradInput, long planes, int h, int w, int outH,
      int outW);

  static native void adaptiveMaxPool2dBackward(long grad, long indices, long gradInput, long planes, int h, int w,
      int outH, int outW);

  static native int maxUnpool2d(long x, long indices, long y, long planes, int inHw, int outHw);

  static native int maxUnpool2dBackward(long grad, long indices, long gradInput, long planes, int inHw, int outHw);

  static native void indexLayout(long in, long out, long planes, int perPlane, int h, int w, int mode);

  static native void resize(long x, long y, long planes, int inH, int inW, int outH, int outW, float scaleH,
      float scaleW, int mode, int coord, int nearest, float cubicA, int excludeOutside);

  static native void resizeBackward(long grad, long gradInput, long planes, int inH, int inW, int outH, int outW,
      float scaleH, float scaleW, int mode, int coord, int nearest, float cubicA, int excludeOutside);

  static native void bedOfNails(long x, long y, long planes, int h, int w, int strideH, int strideW);

  static native void bedOfNailsBackward(long grad, long gradInput, long planes, int h, int w, int strideH,
      int strideW);

  static native void batchNorm(long x, long y, long n, int c, long s, long weight, long bias, long runningMean,
      long runningVar, boolean training, float momentum, float eps, boolean unbiased, long saveMean, long saveInvstd);

  static native void batchNormBackward(long grad, long x, long n, int c, long s, long weight, long runningMean,
      long runningVar, long saveMean, long saveInvstd, boolean training, float eps, long gradInput, long gradWeight,
      long gradBias);

  static native void activation(long x, long y, long n, int op, float slope);

  static native void activationBackward(long grad, long v, long gradInput, long n, int op, float slope);

  static native void pad2d(long x, long y, long planes, int h, int w, int outH, int outW, int padTop, int padLeft,
      int mode, int valueBits);

  static native void pad2dBackward(long grad, long gradInput, long planes, int h, int w, int outH, int outW,
      int padTop, int padLeft, int mode);

  static native void copy2d(long src, long srcStride, long dst, long dstStride, long rows, long cols);
}
