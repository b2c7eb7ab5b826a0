package io.detseg.backend;

import io.detseg.nativelib.NativeLibrary;

/** JNI entry points of the box op family (native/jni/jni_boxes.cpp → native/cpu/boxes_*.cpp). Addresses only. */
final class CpuBoxesNative {
  static {
    NativeLibrary.ensureLoaded();
  }

  private CpuBoxesNative() {}

  static native void boxArea(long boxes, long n, long out);

  static native void boxAreaBackward(long grad, long boxes, long n, long out);

  static native void generalizedBoxIou(long boxes1, long n, long boxes2, long m, long out);

  static native void generalizedBoxIouBackward(long grad, long boxes1, long n, long boxes2, long m, long grad1,
      long grad2);

  static native void clipBoxes(long boxes, long count, float height, float width, long out);

  static native void clipBoxesBackward(long grad, long boxes, long count, float height, float width, long out);

  static native void boxConvert(long boxes, long n, int inFmt, int outFmt, long out);

  static native void boxConvertBackward(long grad, long n, int inFmt, int outFmt, long out);

  /** Writes kept indices into out (room for n) and returns how many. */
  static native long removeSmallBoxes(long boxes, long n, float minSize, long out);

  static native void anchorGrid(long sizes, int nsizes, long ratios, int nratios, long gridH, long gridW,
      long strideH, long strideW, long out);

  static native void ssdDefaultBoxes(long wh, int npairs, long gridH, long gridW, float xf, float yf, float imageW,
      float imageH, long out);

  static native void yoloDecode(long input, long batch, long numAnchors, long k, long gridH, long gridW,
      long anchors, float imageH, float imageW, long out);

  static native void encodeBoxes(long reference, long proposals, long n, long weights, long out);

  static native void decodeBoxes(long relCodes, long boxes, long n, long k, long weights, float clip, long out);

  static native void encodeBoxesSsd(long reference, long defaults, long n, float v0, float v1, long out);

  static native void decodeBoxesSsd(long relCodes, long boxes, long n, long k, float v0, float v1, long out);

  static native void matchBoxes(long quality, long m, long n, float high, float low, int mode, long out);

  static native void samplePosNeg(long labels, long rows, long n, long batch, long maxPos, long seed, long pos,
      long neg);

  static native void hardNegativeMining(long loss, long labels, long rows, long n, float ratio, long mask,
      long negMask);
}
