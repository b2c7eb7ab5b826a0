package io.detseg.tensor;

import io.detseg.nativelib.NativeMemory;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * numpy .npy files (format versions 1, 2 and 3; C order only). Reads float32, int32 and uint8 as they
 * are; float64 and int64 (numpy's defaults) and bool are converted to float32, int32 (range-checked)
 * and uint8, and either byte order is accepted. Writes version 1 headers, or 2 when the header does
 * not fit. Files are parsed defensively: every size is checked before anything is allocated.
 */
public final class Npy {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final int MAX_HEADER = 1 << 20;
  private static final int CHUNK = 1 << 20;
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  private Npy() {}

  /** Reads a .npy file into a new CPU tensor. */
  public static Tensor read(Path file) throws IOException {
    long fileSize = Files.size(file);
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), CHUNK)) {
      return read(in, fileSize, file.toString());
    }
  }

  /** Writes a tensor (any device; non-CPU tensors are copied to the host first) as a .npy file. */
  public static void write(Tensor t, Path file) throws IOException {
    if (t.device() != Device.CPU) {
      try (Tensor host = t.to(Device.CPU)) {
        write(host, file);
      }
      return;
    }
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), CHUNK)) {
      out.write(header(t));
      long address = t.address();
      long remaining = t.byteSize();
      byte[] buf = new byte[(int) Math.min(CHUNK, Math.max(remaining, 1))];
      long offset = 0;
      while (remaining > 0) {
        int n = (int) Math.min(buf.length, remaining);
        NativeMemory.toBytes(address + offset, buf, 0, n);
        out.write(buf, 0, n);
        offset += n;
        remaining -= n;
      }
    }
  }

  // ---- reading --------------------------------------------------------------------------------

  private static Tensor read(InputStream raw, long fileSize, String name) throws IOException {
    DataInputStream in = new DataInputStream(raw);
    byte[] magic = new byte[6];
    readFully(in, magic, name, "magic");
    for (int i = 0; i < 6; i++) {
      if (magic[i] != MAGIC[i]) {
        throw bad(name, "expected the magic \\x93NUMPY at the start of the file");
      }
    }
    int major = in.readUnsignedByte();
    in.readUnsignedByte(); // minor version: no meaning for us
    long headerLen;
    int prefix;
    if (major == 1) {
      headerLen = Short.toUnsignedInt(Short.reverseBytes(in.readShort()));
      prefix = 10;
    } else if (major == 2 || major == 3) {
      headerLen = Integer.toUnsignedLong(Integer.reverseBytes(in.readInt()));
      prefix = 12;
    } else {
      throw bad(name, "expected format version 1, 2 or 3 but got " + major);
    }
    if (headerLen > MAX_HEADER || prefix + headerLen > fileSize) {
      throw bad(name, "header length " + headerLen + " does not fit in the file of " + fileSize + " bytes");
    }
    byte[] hb = new byte[(int) headerLen];
    readFully(in, hb, name, "header");
    String header = new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);

    String descr = group(DESCR, header, name, "descr");
    if ("True".equals(group(FORTRAN, header, name, "fortran_order"))) {
      throw bad(name, "expected C order (fortran_order False) but the array is in Fortran order");
    }
    long[] shape = parseShape(group(SHAPE, header, name, "shape"), name);
    Element el = Element.parse(descr, name);
    long numel = Shapes.numel(shape);
    long dataBytes;
    try {
      dataBytes = Math.multiplyExact(numel, (long) el.fileBytes);
    } catch (ArithmeticException e) {
      throw bad(name, "data size of shape " + Shapes.format(shape) + " overflows");
    }
    long available = fileSize - prefix - headerLen;
    if (available < dataBytes) {
      throw bad(name, "truncated: shape " + Shapes.format(shape) + " of " + descr + " needs " + dataBytes
          + " data bytes but the file has " + available);
    }

    Tensor t = Tensor.empty(Device.CPU, el.dtype, shape);
    try {
      decode(in, el, numel, t.address(), name);
    } catch (IOException | RuntimeException e) {
      t.close();
      throw e;
    }
    return t;
  }

  private static void decode(DataInputStream in, Element el, long numel, long dst, String name)
      throws IOException {
    int perChunk = CHUNK / el.fileBytes;
    byte[] src = new byte[(int) Math.min((long) perChunk * el.fileBytes, Math.max(numel * el.fileBytes, 1))];
    byte[] out = el.converts() ? new byte[(int) Math.min((long) perChunk * el.dtype.byteSize(),
        Math.max(numel * el.dtype.byteSize(), 1))] : null;
    long done = 0;
    while (done < numel) {
      int count = (int) Math.min(perChunk, numel - done);
      readFully(in, src, 0, count * el.fileBytes, name);
      long dstOffset = dst + done * el.dtype.byteSize();
      if (out == null) {
        NativeMemory.fromBytes(src, 0, dstOffset, count * el.fileBytes);
      } else {
        el.convert(src, out, count, done, name);
        NativeMemory.fromBytes(out, 0, dstOffset, count * el.dtype.byteSize());
      }
      done += count;
    }
  }

  /** A file element type and how it maps onto a tensor dtype. */
  private static final class Element {
    final DType dtype;
    final int fileBytes;
    final char kind; // f, i, u, b
    final ByteOrder order;

    Element(DType dtype, int fileBytes, char kind, ByteOrder order) {
      this.dtype = dtype;
      this.fileBytes = fileBytes;
      this.kind = kind;
      this.order = order;
    }

    boolean converts() {
      return fileBytes != dtype.byteSize() || (fileBytes > 1 && order != ByteOrder.LITTLE_ENDIAN) || kind == 'b';
    }

    static Element parse(String descr, String name) {
      if (descr.length() < 3) {
        throw bad(name, "unsupported dtype '" + descr + "'");
      }
      char endian = descr.charAt(0);
      ByteOrder order = endian == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
      if (endian == '=' || endian == '<' || endian == '>' || endian == '|') {
        String code = descr.substring(1);
        switch (code) {
          case "f4": return new Element(DType.FLOAT32, 4, 'f', order);
          case "f8": return new Element(DType.FLOAT32, 8, 'f', order);
          case "i4": return new Element(DType.INT32, 4, 'i', order);
          case "i8": return new Element(DType.INT32, 8, 'i', order);
          case "u1": return new Element(DType.UINT8, 1, 'u', order);
          case "b1": return new Element(DType.UINT8, 1, 'b', order);
          default: break;
        }
      }
      throw bad(name, "expected dtype float32/float64/int32/int64/uint8/bool but got '" + descr + "'");
    }

    void convert(byte[] src, byte[] dst, int count, long firstIndex, String name) {
      ByteBuffer in = ByteBuffer.wrap(src).order(order);
      ByteBuffer out = ByteBuffer.wrap(dst).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < count; i++) {
        switch (kind) {
          case 'f':
            out.putFloat(fileBytes == 8 ? (float) in.getDouble() : in.getFloat());
            break;
          case 'i':
            if (fileBytes == 8) {
              long v = in.getLong();
              if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                throw bad(name, "int64 element " + (firstIndex + i) + " = " + v + " does not fit in int32");
              }
              out.putInt((int) v);
            } else {
              out.putInt(in.getInt());
            }
            break;
          case 'b':
            out.put(in.get() != 0 ? (byte) 1 : (byte) 0);
            break;
          default:
            out.put(in.get());
        }
      }
    }
  }

  private static long[] parseShape(String text, String name) {
    List<Long> dims = new ArrayList<>();
    for (String part : text.split(",")) {
      String p = part.trim();
      if (p.isEmpty()) {
        continue;
      }
      if (p.endsWith("L")) {
        p = p.substring(0, p.length() - 1);
      }
      try {
        long d = Long.parseLong(p);
        if (d < 0) {
          throw bad(name, "negative dimension " + d + " in shape (" + text + ")");
        }
        dims.add(d);
      } catch (NumberFormatException e) {
        throw bad(name, "cannot parse shape (" + text + ")");
      }
    }
    if (dims.size() > 32) {
      throw bad(name, "expected at most 32 dimensions but got " + dims.size());
    }
    return dims.stream().mapToLong(Long::longValue).toArray();
  }

  // ---- writing --------------------------------------------------------------------------------

  static byte[] header(Tensor t) {
    long[] shape = t.shape();
    StringBuilder s = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      s.append(shape[i]);
      if (shape.length == 1 || i < shape.length - 1) {
        s.append(shape.length == 1 ? "," : ", ");
      }
    }
    s.append(')');
    String dict = "{'descr': '" + t.dtype().npyDescr() + "', 'fortran_order': False, 'shape': " + s + ", }";
    int version = dict.length() + 11 < 65536 ? 1 : 2;
    int prefix = version == 1 ? 10 : 12;
    int total = prefix + dict.length() + 1;
    int padded = (total + 63) / 64 * 64; // numpy aligns the data to 64 bytes
    StringBuilder h = new StringBuilder(dict);
    while (prefix + h.length() + 1 < padded) {
      h.append(' ');
    }
    h.append('\n');
    byte[] body = h.toString().getBytes(StandardCharsets.ISO_8859_1);
    ByteBuffer b = ByteBuffer.allocate(prefix + body.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC).put((byte) version).put((byte) 0);
    if (version == 1) {
      b.putShort((short) body.length);
    } else {
      b.putInt(body.length);
    }
    b.put(body);
    return b.array();
  }

  // ---- helpers --------------------------------------------------------------------------------

  private static String group(Pattern p, String header, String name, String key) {
    Matcher m = p.matcher(header);
    if (!m.find()) {
      throw bad(name, "header has no valid '" + key + "' entry: " + header.trim());
    }
    return m.group(1);
  }

  private static void readFully(DataInputStream in, byte[] b, String name, String what) throws IOException {
    readFully(in, b, 0, b.length, name);
  }

  private static void readFully(DataInputStream in, byte[] b, int off, int len, String name) throws IOException {
    try {
      in.readFully(b, off, len);
    } catch (EOFException e) {
      throw bad(name, "file ends early");
    }
  }

  private static IllegalArgumentException bad(String name, String message) {
    return new IllegalArgumentException("npy " + name + ": " + message);
  }
}
