package io.detseg.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.detseg.ops.Conv;
import io.detseg.ops.ConvParams;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The cases of goldens/conv/cases.json (tools/goldens/conv.py, PyTorch 1.13): matmul, linear, conv2d and
 * conv_transpose2d, each run forward and backward on a device and compared with the goldens. Shared by
 * the golden test of every backend and the CPU tests that force one kernel path.
 */
public final class ConvGoldenCases {
  // Goldens are float64 results from float32 inputs; ours accumulate in float32 over at most a few
  // hundred terms of size ~1, so ~1e-5 absolute error is expected; 1e-4 (+1e-4 relative) leaves margin.
  private static final float ATOL = 1e-4f;
  private static final float RTOL = 1e-4f;

  private ConvGoldenCases() {}

  /** Every case of cases.json, in file order. */
  public static List<JsonNode> all() {
    JsonNode root;
    try (InputStream in = ConvGoldenCases.class.getResourceAsStream("/goldens/conv/cases.json")) {
      if (in == null) {
        throw new IllegalStateException("goldens/conv/cases.json is missing: run /usr/bin/python3 tools/goldens/conv.py");
      }
      root = new ObjectMapper().readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<JsonNode> out = new ArrayList<>();
    root.get("cases").forEach(out::add);
    return out;
  }

  /** The case called name. */
  public static JsonNode named(String name) {
    for (JsonNode c : all()) {
      if (c.get("name").asText().equals(name)) {
        return c;
      }
    }
    throw new IllegalArgumentException("no conv golden case named " + name);
  }

  /** Runs case c on device d (forward and every gradient) and asserts each result against its golden. */
  public static void check(Device d, JsonNode c) {
    String name = c.get("name").asText();
    String op = c.get("op").asText();
    boolean hasBias = c.get("bias").asBoolean();
    try (Scope s = Scope.open()) {
      Tensor x = load(d, name, "input");
      Tensor w = load(d, name, "weight");
      Tensor b = hasBias ? load(d, name, "bias") : null;
      Tensor g = load(d, name, "grad_output");
      Tensor y;
      Conv.Grads grads;
      switch (op) {
        case "conv2d": {
          ConvParams p = c.get("same").asBoolean()
              ? ConvParams.of(op, ints(c, "stride"), "same", ints(c, "dilation"), c.get("groups").asInt())
              : ConvParams.padded(op, ints(c, "stride"), ints(c, "pads"), ints(c, "dilation"), c.get("groups").asInt(),
                  null);
          y = Conv.conv2d(x, w, b, p);
          grads = Conv.conv2dBackward(g, x, w, hasBias, p);
          break;
        }
        case "conv_transpose2d": {
          ConvParams p = ConvParams.transposed(op, ints(c, "stride"), ints(c, "padding"), ints(c, "output_padding"),
              c.get("groups").asInt(), ints(c, "dilation"));
          long[] size = c.get("output_size").isNull() ? null : longs(c, "output_size");
          y = Conv.convTranspose2d(x, w, b, p, size);
          grads = Conv.convTranspose2dBackward(g, x, w, hasBias, p, size);
          break;
        }
        case "linear":
          y = Conv.linear(x, w, b);
          grads = Conv.linearBackward(g, x, w, hasBias);
          break;
        case "matmul": {
          y = Conv.matmul(x, w);
          Tensor[] r = Conv.matmulBackward(g, x, w);
          grads = new Conv.Grads(r[0], r[1], null);
          break;
        }
        default:
          throw new IllegalStateException("unknown op in cases.json: " + op);
      }
      compare(name, d, "output", y);
      compare(name, d, "grad_input", grads.gradInput());
      compare(name, d, "grad_weight", grads.gradWeight());
      if (hasBias) {
        compare(name, d, "grad_bias", grads.gradBias());
      } else {
        assertNull(grads.gradBias(), name + ": no bias, no bias gradient");
      }
    }
  }

  private static Tensor load(Device d, String name, String what) {
    try (Tensor t = Goldens.load("conv", name, what)) {
      return t.to(d);
    }
  }

  private static void compare(String name, Device d, String what, Tensor got) {
    try (Tensor ref = Goldens.load("conv", name, what)) {
      assertArrayEquals(ref.shape(), got.shape(), name + " " + what + " shape on " + d);
      float[] e = ref.toFloatArray();
      float[] a = got.toFloatArray();
      for (int i = 0; i < e.length; i++) {
        float tol = ATOL + RTOL * Math.abs(e[i]);
        assertTrue(Math.abs(e[i] - a[i]) <= tol, name + " " + what + " on " + d + " at " + i + ": expected " + e[i]
            + " but got " + a[i]);
      }
    }
  }

  /** The int array c[key]. */
  public static int[] ints(JsonNode c, String key) {
    JsonNode a = c.get(key);
    int[] v = new int[a.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = a.get(i).asInt();
    }
    return v;
  }

  private static long[] longs(JsonNode c, String key) {
    JsonNode a = c.get(key);
    long[] v = new long[a.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = a.get(i).asLong();
    }
    return v;
  }
}
