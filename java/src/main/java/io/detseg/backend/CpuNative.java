package io.detseg.backend;

import io.detseg.nativelib.NativeLibrary;

/** JNI entry points of the CPU backend (native/jni/jni_cpu_ops.cpp → native/cpu). Addresses only. */
final class CpuNative {
  static {
    NativeLibrary.ensureLoaded();
  }

  private CpuNative() {}

  static native String simdLevel();

  static native int threads();

  static native void add(long a, long b, long out, long n);

  static native void mul(long a, long b, long out, long n);

  static native void relu(long x, long out, long n);

  static native void reluBackward(long grad, long x, long out, long n);

  static native void fill(long out, float value, long n);

  static native float sum(long x, long n);

  static native float max(long x, long n);

  static native long countEqual(long x, long n, float value);

  static native void maxBackward(float grad, long x, float max, long count, long out, long n);

  static native void boxIou(long boxes1, long n, long boxes2, long m, long out);

  static native void stridedCopy(long in, long out, int elemBytes, long[] shape, long[] strides);
}
