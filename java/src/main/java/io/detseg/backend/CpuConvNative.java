package io.detseg.backend;

import io.detseg.nativelib.NativeLibrary;

/** JNI entry points of the CPU conv family (native/jni/jni_conv.cpp → native/cpu/conv*). Addresses only. */
final class CpuConvNative {
  static {
    NativeLibrary.ensureLoaded();
  }

  private CpuConvNative() {}

  /** The micro-kernel run-time dispatch chose, e.g. "avx512 14x32". */
  static native String kernelName();

  /** Tests only: 0 SSE2, 1 AVX2, 2 AVX-512, -1 back to the detected level; false if this CPU lacks it. */
  static native boolean forceIsa(int level);

  /** Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions: 0 never, 1 where it pays, 2 wherever it fits; returns the old mode. */
  static native int setWinograd(int mode);

  /** How many convolutions the Winograd path has run in this process. */
  static native long winogradRuns();

  static native void sgemm(boolean transA, boolean transB, long m, long n, long k, float alpha, long a, long lda,
      long b, long ldb, float beta, long c, long ldc);

  static native void fillRows(long bias, long rows, long cols, long out);

  static native void sumRows(long x, long rows, long cols, long out);

  /** geometry: ConvGeometry.toArray(); bias 0 for none. */
  static native void conv2dForward(long[] geometry, long input, long weight, long bias, long output);

  /** bias (one per channel of gradInput, 0 for none) is added to every point: a transposed forward's bias. */
  static native void conv2dBackwardData(long[] geometry, long gradOutput, long weight, long bias, long gradInput);

  static native void conv2dBackwardWeight(long[] geometry, long input, long gradOutput, long gradWeight);

  /**
   * conv2dForward (no bias) and conv2dBackwardWeight of the same input in one call, and with
   * inputChannelSums != 0 the input's per-channel sums (conv2dBackwardBias of it).
   */
  static native void conv2dForwardAndBackwardWeight(long[] geometry, long input, long weight, long output,
      long gradOutput, long gradWeight, long inputChannelSums);

  static native void addChannelBias(long out, long n, long c, long hw, long bias);

  static native void conv2dBackwardBias(long gradOutput, long n, long c, long hw, long gradBias);
}
