package io.detseg.tensor;

import io.detseg.backend.Backend;
import io.detseg.backend.Backends;
import io.detseg.nativelib.NativeMemory;
import java.util.Arrays;

/**
 * An N-d, contiguous (C order, logical NCHW) tensor whose elements live in native memory owned by a
 * device. Close it when done, or create it inside a {@link Scope}; a Cleaner frees forgotten memory
 * as a last resort. Moving data between devices is always explicit ({@link #to}).
 */
public final class Tensor implements AutoCloseable {
  private final Storage storage;
  private final long[] shape;
  private final DType dtype;
  private final long numel;
  private volatile boolean closed;

  private Tensor(Storage storage, long[] shape, DType dtype) {
    this.storage = storage;
    this.shape = shape.clone();
    this.dtype = dtype;
    this.numel = Shapes.numel(shape);
    Scope.register(this);
  }

  // ---- creation -------------------------------------------------------------------------------

  /** Uninitialized memory on {@code device}. */
  public static Tensor empty(Device device, DType dtype, long... shape) {
    long bytes = Shapes.byteSize(shape, dtype);
    Backend backend = Backends.get(device);
    long address = backend.allocate(Math.max(bytes, 1));
    return new Tensor(new Storage(backend, address, bytes), shape, dtype);
  }

  public static Tensor zeros(Device device, DType dtype, long... shape) {
    Tensor t = empty(device, dtype, shape);
    t.backend().fillBytes(t.address(), (byte) 0, t.byteSize());
    return t;
  }

  public static Tensor of(float[] data, long... shape) {
    return of(Device.CPU, data, shape);
  }

  public static Tensor of(int[] data, long... shape) {
    return of(Device.CPU, data, shape);
  }

  public static Tensor ofBytes(byte[] data, long... shape) {
    return ofBytes(Device.CPU, data, shape);
  }

  /** A 0-d float tensor. */
  public static Tensor scalar(Device device, float value) {
    return of(device, new float[] {value});
  }

  public static Tensor of(Device device, float[] data, long... shape) {
    long[] s = shapeFor("Tensor.of", data.length, shape);
    return fromHost(device, DType.FLOAT32, s,
        host -> NativeMemory.fromFloats(data, 0, host.address(), data.length));
  }

  public static Tensor of(Device device, int[] data, long... shape) {
    long[] s = shapeFor("Tensor.of", data.length, shape);
    return fromHost(device, DType.INT32, s,
        host -> NativeMemory.fromInts(data, 0, host.address(), data.length));
  }

  public static Tensor ofBytes(Device device, byte[] data, long... shape) {
    long[] s = shapeFor("Tensor.ofBytes", data.length, shape);
    return fromHost(device, DType.UINT8, s,
        host -> NativeMemory.fromBytes(data, 0, host.address(), data.length));
  }

  // ---- reading back ---------------------------------------------------------------------------

  public float[] toFloatArray() {
    requireDType("toFloatArray", DType.FLOAT32);
    float[] out = new float[arrayLength("toFloatArray")];
    readHost(host -> NativeMemory.toFloats(host.address(), out, 0, out.length));
    return out;
  }

  public int[] toIntArray() {
    requireDType("toIntArray", DType.INT32);
    int[] out = new int[arrayLength("toIntArray")];
    readHost(host -> NativeMemory.toInts(host.address(), out, 0, out.length));
    return out;
  }

  public byte[] toByteArray() {
    requireDType("toByteArray", DType.UINT8);
    byte[] out = new byte[arrayLength("toByteArray")];
    readHost(host -> NativeMemory.toBytes(host.address(), out, 0, out.length));
    return out;
  }

  /** The single value of a one-element float tensor. */
  public float item() {
    if (numel != 1) {
      throw new IllegalArgumentException(
          "item: expected a tensor with one element but got shape " + Shapes.format(shape));
    }
    return toFloatArray()[0];
  }

  // ---- moving and viewing ---------------------------------------------------------------------

  /** A copy on {@code device} (always a new tensor, even on the same device). */
  public Tensor to(Device device) {
    checkOpen("to");
    Tensor out = empty(device, dtype, shape);
    long bytes = byteSize();
    if (bytes == 0) {
      return out;
    }
    Device from = device();
    if (from == device) {
      backend().copyWithin(address(), out.address(), bytes);
    } else if (from == Device.CPU) {
      out.backend().copyFromHost(address(), out.address(), bytes);
    } else if (device == Device.CPU) {
      backend().copyToHost(address(), out.address(), bytes);
    } else {
      try (Tensor staging = to(Device.CPU)) {
        out.backend().copyFromHost(staging.address(), out.address(), bytes);
      }
    }
    return out;
  }

  /** A view with another shape of the same element count, sharing this tensor's memory. */
  public Tensor reshape(long... newShape) {
    checkOpen("reshape");
    if (Shapes.numel(newShape) != numel) {
      throw new IllegalArgumentException("reshape: expected a shape with " + numel + " elements but got "
          + Shapes.format(newShape));
    }
    storage.retain();
    return new Tensor(storage, newShape, dtype);
  }

  // ---- properties -----------------------------------------------------------------------------

  public long[] shape() {
    return shape.clone();
  }

  public long size(int dim) {
    return shape[dim];
  }

  public int dim() {
    return shape.length;
  }

  public long numel() {
    return numel;
  }

  public DType dtype() {
    return dtype;
  }

  public Device device() {
    return storage.device();
  }

  public long byteSize() {
    return numel * dtype.byteSize();
  }

  /** Native address of the first element on this tensor's device; for backends, not for users. */
  public long address() {
    checkOpen("address");
    return storage.address();
  }

  public Backend backend() {
    return storage.backend();
  }

  public boolean isClosed() {
    return closed;
  }

  /** Releases this tensor's hold on its memory; idempotent. */
  @Override
  public void close() {
    if (!closed) {
      synchronized (this) {
        if (closed) {
          return;
        }
        closed = true;
      }
      storage.release();
    }
  }

  @Override
  public String toString() {
    return "Tensor(" + dtype.label() + Shapes.format(shape) + " on " + device() + (closed ? ", closed" : "") + ")";
  }

  // ---- helpers --------------------------------------------------------------------------------

  private interface HostAction {
    void run(Tensor host);
  }

  private static Tensor fromHost(Device device, DType dtype, long[] shape, HostAction fill) {
    Tensor host = empty(Device.CPU, dtype, shape);
    fill.run(host);
    if (device == Device.CPU) {
      return host;
    }
    try (host) {
      return host.to(device);
    }
  }

  private void readHost(HostAction read) {
    checkOpen("read");
    if (device() == Device.CPU) {
      read.run(this);
      return;
    }
    try (Tensor host = to(Device.CPU)) {
      read.run(host);
    }
  }

  private static long[] shapeFor(String op, int length, long[] shape) {
    if (shape.length == 0 && length != 1) {
      return new long[] {length};
    }
    long n = Shapes.numel(shape);
    if (n != length) {
      throw new IllegalArgumentException(op + ": shape " + Arrays.toString(shape) + " holds " + n
          + " elements but the array has " + length);
    }
    return shape;
  }

  private int arrayLength(String op) {
    if (numel > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(op + ": a Java array holds at most 2^31-9 elements but the tensor has "
          + numel);
    }
    return (int) numel;
  }

  private void requireDType(String op, DType expected) {
    if (dtype != expected) {
      throw new IllegalArgumentException(op + ": expected a " + expected.label() + " tensor but got "
          + dtype.label());
    }
  }

  private void checkOpen(String op) {
    if (closed) {
      throw new IllegalStateException(op + ": tensor was closed: " + this);
    }
  }
}
