package io.detseg.nativelib;

import java.nio.ByteBuffer;

/**
 * Host native memory and copies between it and Java arrays. Every method is a thin JNI call; callers
 * (Tensor, the backends) check bounds in Java first, so the native side only does the copy.
 */
public final class NativeMemory {
  /** Cache-line and AVX-512 alignment for every host allocation. */
  public static final int ALIGNMENT = 64;

  static {
    NativeLibrary.ensureLoaded();
  }

  private NativeMemory() {}

  /** Returns a 64-byte aligned block, or throws OutOfMemoryError naming the size. */
  public static long allocate(long bytes) {
    long address = allocate0(Math.max(bytes, 1), ALIGNMENT);
    if (address == 0) {
      throw new OutOfMemoryError("detseg: cannot allocate " + bytes + " bytes of native host memory");
    }
    return address;
  }

  public static native void free(long address);

  /**
   * Bytes of released blocks of 1 MiB and up kept for reuse (at most 256 MiB): a freed large tensor's
   * memory goes to the next tensor of about its size without page faults.
   */
  public static native long cachedBytes();

  /** Returns every cached block to the operating system. */
  public static native void trimCache();

  public static native void copy(long src, long dst, long bytes);

  public static native void fill(long dst, byte value, long bytes);

  public static native void fromFloats(float[] src, int offset, long dst, int count);

  public static native void toFloats(long src, float[] dst, int offset, int count);

  public static native void fromInts(int[] src, int offset, long dst, int count);

  public static native void toInts(long src, int[] dst, int offset, int count);

  public static native void fromBytes(byte[] src, int offset, long dst, int count);

  public static native void toBytes(long src, byte[] dst, int offset, int count);

  /** A direct ByteBuffer over native memory (no copy); bytes must be at most Integer.MAX_VALUE. */
  public static native ByteBuffer view(long address, long bytes);

  /** Address of a direct buffer's first byte. */
  public static native long addressOf(ByteBuffer direct);

  private static native long allocate0(long bytes, int alignment);
}
