package io.detseg.backend.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A kernel's arguments in the order of its C signature, each with its exact C size, so that both
 * drivers can build cuLaunchKernel's {@code void** kernelParams} from it: JCuda as an array of
 * Pointers, the simulator as one packed buffer plus the size of each argument.
 */
public final class KernelArgs {
  /** The C types a detseg kernel takes by value. Device pointers are 8-byte addresses. */
  public enum Kind {
    POINTER(8), I32(4), I64(8), F32(4);

    final int size;

    Kind(int size) {
      this.size = size;
    }
  }

  private final List<Kind> kinds = new ArrayList<>();
  private final List<Long> bits = new ArrayList<>();

  public KernelArgs pointer(long deviceAddress) {
    return add(Kind.POINTER, deviceAddress);
  }

  public KernelArgs i32(int v) {
    return add(Kind.I32, v);
  }

  public KernelArgs i64(long v) {
    return add(Kind.I64, v);
  }

  public KernelArgs f32(float v) {
    return add(Kind.F32, Float.floatToRawIntBits(v));
  }

  public int count() {
    return kinds.size();
  }

  public Kind kind(int i) {
    return kinds.get(i);
  }

  /** Raw bits of argument i (a float's IEEE bits for F32). */
  public long bits(int i) {
    return bits.get(i);
  }

  /** Little-endian values back to back (each at its own natural size), as the simulator takes them. */
  public byte[] packed() {
    int total = 0;
    for (Kind k : kinds) {
      total += k.size;
    }
    ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < kinds.size(); i++) {
      long v = bits.get(i);
      if (kinds.get(i).size == 8) {
        b.putLong(v);
      } else {
        b.putInt((int) v);
      }
    }
    return b.array();
  }

  public int[] sizes() {
    int[] s = new int[kinds.size()];
    for (int i = 0; i < s.length; i++) {
      s[i] = kinds.get(i).size;
    }
    return s;
  }

  private KernelArgs add(Kind kind, long value) {
    kinds.add(kind);
    bits.add(value);
    return this;
  }
}
