package io.detseg.onnx;

import com.google.protobuf.ByteString;
import io.detseg.onnx.proto.TensorProto;
import io.detseg.tensor.DType;
import io.detseg.tensor.Device;
import io.detseg.tensor.Shapes;
import io.detseg.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * ONNX TensorProto (the .pb files of ONNX's conformance tests) to CPU tensors. float, uint8, int32
 * and bool load as they are; int64 converts to int32 (range-checked) and double to float32. Sizes are
 * checked against the shape before anything is copied.
 */
public final class OnnxTensors {
  // ONNX TensorProto.DataType values.
  static final int FLOAT = 1;
  static final int UINT8 = 2;
  static final int INT32 = 6;
  static final int INT64 = 7;
  static final int BOOL = 9;
  static final int DOUBLE = 11;

  private OnnxTensors() {}

  public static TensorProto readProto(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return TensorProto.parseFrom(in);
    }
  }

  public static Tensor read(Path file) throws IOException {
    return toTensor(readProto(file), file.toString());
  }

  public static Tensor toTensor(TensorProto p, String what) {
    if (p.getDataLocation() != 0) {
      throw new IllegalArgumentException("onnx " + what + ": external data is not supported");
    }
    long[] shape = p.getDimsList().stream().mapToLong(Long::longValue).toArray();
    long n = Shapes.numel(shape);
    if (n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("onnx " + what + ": " + n + " elements is more than detseg reads from .pb");
    }
    int count = (int) n;
    ByteString raw = p.getRawData();
    boolean hasRaw = !raw.isEmpty();
    switch (p.getDataType()) {
      case FLOAT: {
        float[] v = new float[count];
        if (hasRaw) {
          rawBuffer(raw, count, 4, what).asFloatBuffer().get(v);
        } else {
          requireCount(p.getFloatDataCount(), count, what);
          for (int i = 0; i < count; i++) {
            v[i] = p.getFloatData(i);
          }
        }
        return Tensor.of(Device.CPU, v, shape);
      }
      case DOUBLE: {
        float[] v = new float[count];
        if (hasRaw) {
          ByteBuffer b = rawBuffer(raw, count, 8, what);
          for (int i = 0; i < count; i++) {
            v[i] = (float) b.getDouble();
          }
        } else {
          requireCount(p.getDoubleDataCount(), count, what);
          for (int i = 0; i < count; i++) {
            v[i] = (float) p.getDoubleData(i);
          }
        }
        return Tensor.of(Device.CPU, v, shape);
      }
      case INT32: {
        int[] v = new int[count];
        if (hasRaw) {
          rawBuffer(raw, count, 4, what).asIntBuffer().get(v);
        } else {
          requireCount(p.getInt32DataCount(), count, what);
          for (int i = 0; i < count; i++) {
            v[i] = p.getInt32Data(i);
          }
        }
        return Tensor.of(Device.CPU, v, shape);
      }
      case INT64: {
        int[] v = new int[count];
        ByteBuffer b = hasRaw ? rawBuffer(raw, count, 8, what) : null;
        if (!hasRaw) {
          requireCount(p.getInt64DataCount(), count, what);
        }
        for (int i = 0; i < count; i++) {
          long x = hasRaw ? b.getLong() : p.getInt64Data(i);
          if (x < Integer.MIN_VALUE || x > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("onnx " + what + ": int64 element " + i + " = " + x
                + " does not fit in int32");
          }
          v[i] = (int) x;
        }
        return Tensor.of(Device.CPU, v, shape);
      }
      case UINT8:
      case BOOL: {
        byte[] v = new byte[count];
        if (hasRaw) {
          rawBuffer(raw, count, 1, what).get(v);
        } else {
          requireCount(p.getInt32DataCount(), count, what);
          for (int i = 0; i < count; i++) {
            v[i] = (byte) p.getInt32Data(i);
          }
        }
        if (p.getDataType() == BOOL) {
          for (int i = 0; i < count; i++) {
            v[i] = v[i] != 0 ? (byte) 1 : 0;
          }
        }
        return Tensor.ofBytes(Device.CPU, v, shape);
      }
      default:
        throw new IllegalArgumentException("onnx " + what + ": expected data type float, double, int32, int64,"
            + " uint8 or bool but got ONNX type " + p.getDataType());
    }
  }

  /** The dtype a TensorProto of this ONNX data type loads as. */
  public static DType dtypeOf(int onnxType) {
    switch (onnxType) {
      case FLOAT:
      case DOUBLE:
        return DType.FLOAT32;
      case INT32:
      case INT64:
        return DType.INT32;
      case UINT8:
      case BOOL:
        return DType.UINT8;
      default:
        throw new IllegalArgumentException("onnx: unsupported data type " + onnxType);
    }
  }

  private static ByteBuffer rawBuffer(ByteString raw, int count, int elementBytes, String what) {
    long expected = (long) count * elementBytes;
    if (raw.size() != expected) {
      throw new IllegalArgumentException("onnx " + what + ": raw_data holds " + raw.size() + " bytes but the shape needs "
          + expected);
    }
    return raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  private static void requireCount(int got, int expected, String what) {
    if (got != expected) {
      throw new IllegalArgumentException("onnx " + what + ": holds " + got + " values but the shape needs " + expected);
    }
  }
}
