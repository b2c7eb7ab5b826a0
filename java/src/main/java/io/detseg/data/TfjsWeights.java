package io.detseg.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.detseg.tensor.Device;
import io.detseg.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * TensorFlow.js weights: a JSON manifest (groups of {paths, weights}) whose binary shards hold the
 * entries back to back in manifest order. Reads float32, int32 and bool entries, and uint8, uint16
 * and float16 quantized ones (uint: value = q·scale + min, rounded for int32; float16: the half
 * value). Everything is validated before a byte is read: shapes, names, dtypes, every size with
 * overflow checks, and the sum of the entries against the real length of the shard files, so a
 * corrupt or hostile manifest gives a clear IllegalArgumentException and never a huge allocation.
 */
public final class TfjsWeights implements AutoCloseable {
  private static final long MAX_MANIFEST_BYTES = 64L << 20;
  private static final long MAX_ELEMENTS_PER_ENTRY = Integer.MAX_VALUE - 8;

  private final Map<String, Tensor> tensors;

  private TfjsWeights(Map<String, Tensor> tensors) {
    this.tensors = Collections.unmodifiableMap(tensors);
  }

  /** One entry as the manifest declares it, checked. */
  record Entry(String name, long[] shape, String dtype, String quantDtype, double scale, double min, long numel,
      long bytes) {}

  /** Loads every entry of the manifest; shard paths resolve against the manifest's folder. */
  public static TfjsWeights load(Path manifest) throws IOException {
    String what = manifest.getFileName().toString();
    long size = Files.size(manifest);
    if (size > MAX_MANIFEST_BYTES) {
      throw bad(what, "manifest is " + size + " bytes, more than the " + MAX_MANIFEST_BYTES + " accepted");
    }
    ObjectMapper json = new ObjectMapper();
    json.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build());
    json.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    JsonNode root;
    try {
      root = json.readTree(manifest.toFile());
    } catch (IOException e) {
      throw bad(what, "not valid JSON: " + e.getMessage().split("\n")[0]);
    }
    if (root == null || !root.isArray() || root.isEmpty()) {
      throw bad(what, "expected a JSON array of weight groups");
    }
    Map<String, Tensor> out = new LinkedHashMap<>();
    try {
      for (int g = 0; g < root.size(); g++) {
        loadGroup(root.get(g), g, manifest.toAbsolutePath().normalize().getParent(), what, out);
      }
    } catch (IOException | RuntimeException e) {
      out.values().forEach(Tensor::close);
      throw e;
    }
    return new TfjsWeights(out);
  }

  /** The named tensor (CPU, TensorFlow layout as in the manifest); a clear error when absent. */
  public Tensor get(String name) {
    Tensor t = tensors.get(name);
    if (t == null) {
      throw new IllegalArgumentException("weights: no entry named '" + name + "'");
    }
    return t;
  }

  public boolean contains(String name) {
    return tensors.containsKey(name);
  }

  public Map<String, Tensor> all() {
    return tensors;
  }

  @Override
  public void close() {
    tensors.values().forEach(Tensor::close);
  }

  // ---- parsing --------------------------------------------------------------------------------

  private static void loadGroup(JsonNode group, int g, Path dir, String what, Map<String, Tensor> out)
      throws IOException {
    String where = "group " + g;
    if (!group.isObject() || !group.path("paths").isArray() || !group.path("weights").isArray()) {
      throw bad(what, where + ": expected an object with 'paths' and 'weights' arrays");
    }
    List<Path> shards = new ArrayList<>();
    long available = 0;
    for (JsonNode p : group.get("paths")) {
      if (!p.isTextual() || p.asText().isEmpty()) {
        throw bad(what, where + ": shard paths must be non-empty strings");
      }
      Path shard = dir.resolve(p.asText()).normalize();
      if (!shard.startsWith(dir)) {
        throw bad(what, where + ": shard path '" + p.asText() + "' leaves the manifest's folder");
      }
      if (!Files.isRegularFile(shard)) {
        throw bad(what, where + ": shard '" + p.asText() + "' does not exist");
      }
      shards.add(shard);
      available = Math.addExact(available, Files.size(shard));
    }
    if (shards.isEmpty()) {
      throw bad(what, where + ": 'paths' is empty");
    }
    List<Entry> entries = new ArrayList<>();
    long needed = 0;
    for (JsonNode w : group.get("weights")) {
      Entry e = parseEntry(w, what, where);
      if (out.containsKey(e.name()) || entries.stream().anyMatch(x -> x.name().equals(e.name()))) {
        throw bad(what, "weight name '" + e.name() + "' appears twice");
      }
      entries.add(e);
      needed = Math.addExact(needed, e.bytes());
    }
    if (needed != available) {
      throw bad(what, where + ": the entries need " + needed + " bytes but the shards hold " + available
          + (needed > available ? " (truncated file?)" : " (trailing bytes?)"));
    }
    ByteBuffer data = readShards(shards, available);
    for (Entry e : entries) {
      ByteBuffer slice = data.slice().order(ByteOrder.LITTLE_ENDIAN);
      slice.limit((int) e.bytes());
      out.put(e.name(), decode(e, slice));
      data.position(data.position() + (int) e.bytes());
    }
  }

  static Entry parseEntry(JsonNode w, String what, String where) {
    if (!w.isObject()) {
      throw bad(what, where + ": every weight must be an object");
    }
    JsonNode nameNode = w.get("name");
    if (nameNode == null || !nameNode.isTextual() || nameNode.asText().isEmpty()) {
      throw bad(what, where + ": a weight has no name");
    }
    String name = nameNode.asText();
    JsonNode shapeNode = w.get("shape");
    if (shapeNode == null || !shapeNode.isArray() || shapeNode.size() > 8) {
      throw bad(what, "'" + name + "': expected 'shape' as an array of at most 8 dimensions");
    }
    long[] shape = new long[shapeNode.size()];
    long numel = 1;
    for (int i = 0; i < shape.length; i++) {
      JsonNode d = shapeNode.get(i);
      if (!d.isIntegralNumber() || d.asLong() <= 0) {
        throw bad(what, "'" + name + "': expected positive integer dimensions but got " + shapeNode);
      }
      shape[i] = d.asLong();
      numel = Math.multiplyExact(numel, shape[i]);
      if (numel > MAX_ELEMENTS_PER_ENTRY) {
        throw bad(what, "'" + name + "': shape " + shapeNode + " has too many elements");
      }
    }
    String dtype = w.path("dtype").asText("");
    if (!dtype.equals("float32") && !dtype.equals("int32") && !dtype.equals("bool")) {
      throw bad(what, "'" + name + "': expected dtype float32, int32 or bool but got '" + dtype + "'"
          + (dtype.equals("string") || dtype.equals("complex64") ? " (not supported by detseg)" : ""));
    }
    JsonNode q = w.get("quantization");
    String quant = null;
    double scale = 1;
    double min = 0;
    int elementBytes = dtype.equals("bool") ? 1 : 4;
    if (q != null && !q.isNull()) {
      quant = q.path("dtype").asText("");
      switch (quant) {
        case "uint8":
          elementBytes = 1;
          break;
        case "uint16":
        case "float16":
          elementBytes = 2;
          break;
        default:
          throw bad(what, "'" + name + "': expected quantization dtype uint8, uint16 or float16 but got '" + quant + "'");
      }
      if (!quant.equals("float16")) {
        if (!q.path("scale").isNumber() || !q.path("min").isNumber()) {
          throw bad(what, "'" + name + "': " + quant + " quantization needs numeric 'scale' and 'min'");
        }
        scale = q.get("scale").asDouble();
        min = q.get("min").asDouble();
        if (!Double.isFinite(scale) || !Double.isFinite(min)) {
          throw bad(what, "'" + name + "': quantization scale and min must be finite");
        }
      } else if (!dtype.equals("float32")) {
        throw bad(what, "'" + name + "': float16 quantization applies to float32 entries only");
      }
    }
    return new Entry(name, shape, dtype, quant, scale, min, numel, numel * elementBytes);
  }

  private static ByteBuffer readShards(List<Path> shards, long total) throws IOException {
    if (total > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("weights: a group of " + total + " bytes is larger than detseg reads");
    }
    ByteBuffer all = ByteBuffer.allocate((int) total);
    for (Path p : shards) {
      try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
        while (ch.read(all) > 0) {
          // read until the shard is consumed
        }
      }
    }
    if (all.position() != total) {
      throw new IllegalArgumentException("weights: shards changed while being read");
    }
    all.flip();
    return all;
  }

  private static Tensor decode(Entry e, ByteBuffer b) {
    int n = (int) e.numel();
    long[] shape = e.shape();
    if (e.dtype().equals("bool")) {
      byte[] v = new byte[n];
      for (int i = 0; i < n; i++) {
        v[i] = (byte) (quantized(e, b, i) != 0 ? 1 : 0);
      }
      return Tensor.ofBytes(Device.CPU, v, shape);
    }
    if (e.dtype().equals("int32")) {
      int[] v = new int[n];
      for (int i = 0; i < n; i++) {
        v[i] = e.quantDtype() == null ? b.getInt(4 * i) : (int) Math.round(quantized(e, b, i));
      }
      return Tensor.of(Device.CPU, v, shape);
    }
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = e.quantDtype() == null ? b.getFloat(4 * i) : (float) quantized(e, b, i);
    }
    return Tensor.of(Device.CPU, v, shape);
  }

  /** q·scale + min in double (one rounding to float32 later), or the float16 value. */
  private static double quantized(Entry e, ByteBuffer b, int i) {
    if (e.quantDtype() == null) {
      return b.get(i);
    }
    switch (e.quantDtype()) {
      case "uint8":
        return Byte.toUnsignedInt(b.get(i)) * e.scale() + e.min();
      case "uint16":
        return Short.toUnsignedInt(b.getShort(2 * i)) * e.scale() + e.min();
      default:
        return halfToFloat(b.getShort(2 * i));
    }
  }

  /** IEEE 754 binary16 to float (JDK 17 has no Float.float16ToFloat). */
  static float halfToFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13)); // inf or NaN
    }
    if (exp == 0) {
      float v = mant * 0x1p-24f; // subnormal (or zero): mant · 2^-24
      return sign == 0 ? v : -v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  private static IllegalArgumentException bad(String what, String message) {
    return new IllegalArgumentException("weights manifest " + what + ": " + message);
  }

  @Override
  public String toString() {
    return "TfjsWeights" + Arrays.toString(tensors.keySet().toArray());
  }
}
