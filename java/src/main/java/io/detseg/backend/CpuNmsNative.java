package io.detseg.backend;

import io.detseg.nativelib.NativeLibrary;

/** JNI entry points of the CPU NMS family (native/jni/jni_nms.cpp → native/cpu/nms*.cpp). Addresses only. */
final class CpuNmsNative {
  static {
    NativeLibrary.ensureLoaded();
  }

  private CpuNmsNative() {}

  /** Returns the number of kept indices written to keep (room for n); idxs == 0 means one class. */
  static native long nms(long boxes, long scores, long idxs, long n, float iouThreshold,
      boolean useScoreThreshold, float scoreThreshold, long maxOutput, long keep);

  /** Returns the number of triples written (room for batches * classes * min(n, maxPerClass)). */
  static native long onnxNms(long boxes, long scores, long batches, long classes, long n, int centerPointBox,
      long maxPerClass, float iouThreshold, boolean useScoreThreshold, float scoreThreshold, long triples);

  /** Returns the number of selections written to keep and keptScores (room for n each). */
  static native long softNms(long boxes, long scores, long n, float sigma, float iouThreshold,
      float scoreThreshold, int method, long keep, long keptScores);
}
