package io.detseg.backend;

import io.detseg.nativelib.NativeLibrary;

/** JNI entry points of the CPU RoI ops (native/jni/jni_roi.cpp → native/cpu/roi_*.cpp). Addresses only. */
final class CpuRoiNative {
  static {
    NativeLibrary.ensureLoaded();
  }

  private CpuRoiNative() {}

  static native void roiAlignForward(long input, long n, long c, long h, long w, long boxes, long stride,
      long batchIndices, long k, long levels, int level, int pooledH, int pooledW, float scale, int samplingRatio,
      boolean aligned, long output);

  static native void roiAlignBackward(long gradOutput, long boxes, long stride, long batchIndices, long k,
      long levels, int level, long n, long c, long h, long w, int pooledH, int pooledW, float scale,
      int samplingRatio, boolean aligned, long gradInput);

  static native void roiPoolForward(long input, long n, long c, long h, long w, long boxes, long stride,
      long batchIndices, long k, int pooledH, int pooledW, float scale, long output, long argmax);

  static native void roiPoolBackward(long gradOutput, long argmax, long boxes, long stride, long batchIndices, long k,
      long n, long c, long h, long w, int pooledH, int pooledW, long gradInput);

  static native void fpnLevels(long boxes, long stride, long batchIndices, long k, int kMin, int kMax,
      float canonicalScale, float canonicalLevel, float eps, long levels);

  static native long firstBadBatch(long boxes, long k, long stride, int n);

  static native long firstOutOfRange(long values, long count, int lo, int hi);
}
