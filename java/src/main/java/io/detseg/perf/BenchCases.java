package io.detseg.perf;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads and checks bench/cases/*.json (schema: bench/README.md). Every problem of every file is
 * collected and reported in one IllegalArgumentException, each line naming the file, the case and
 * what was expected, so a family engineer fixes a file in one go.
 */
public final class BenchCases {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_.-]+");
  private static final Set<String> CASE_KEYS = Set.of("id", "op", "backward", "quick", "inputs", "params", "flops",
      "bytes", "flops_backward", "bytes_backward", "target", "note");
  private static final Set<String> TARGET_KEYS = Set.of("ratio", "peak_pct", "bandwidth_pct", "backends", "passes",
      "note");
  private static final Set<String> BACKENDS = Set.of("cpu", "cuda");
  private static final Set<String> PASSES = Set.of("forward", "backward");

  /** Input generators: required arguments, then optional ones with their defaults. */
  static final Map<String, Generator> GENERATORS = new LinkedHashMap<>();

  record Generator(List<String> required, Map<String, Double> optional, String shapeRule) {}

  static {
    GENERATORS.put("uniform", new Generator(List.of("low", "high"), Map.of(), null));
    GENERATORS.put("normal", new Generator(List.of("mean", "std"), Map.of(), null));
    GENERATORS.put("boxes", new Generator(List.of("image", "min_size", "max_size"), Map.of(), "[N, 4]"));
    GENERATORS.put("rois", new Generator(List.of("batch", "image_h", "image_w", "min_size", "max_size"),
        Map.of("scale", 1.0), "[K, 5]"));
    GENERATORS.put("randint", new Generator(List.of("low", "high"), Map.of(), null));
    GENERATORS.put("labels", new Generator(List.of("classes"), Map.of(), null));
  }

  private BenchCases() {}

  /** Every case of every *.json in dir, in file-name then file order. */
  public static List<BenchCase> loadDir(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("bench cases: " + dir + " is not a directory");
    }
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
    }
    List<String> errors = new ArrayList<>();
    List<BenchCase> all = new ArrayList<>();
    for (Path f : files) {
      all.addAll(parse(f.getFileName().toString(), Files.readString(f), errors));
    }
    Map<String, String> seen = new LinkedHashMap<>();
    for (BenchCase c : all) {
      String prev = seen.putIfAbsent(c.id(), c.file());
      if (prev != null) {
        errors.add(c.file() + ": case '" + c.id() + "': id already used in " + prev + " (ids must be unique)");
      }
    }
    fail(errors);
    return all;
  }

  /** Parses one file's text; throws IllegalArgumentException listing every problem. */
  public static List<BenchCase> parse(String fileName, String text) {
    List<String> errors = new ArrayList<>();
    List<BenchCase> cases = parse(fileName, text, errors);
    fail(errors);
    return cases;
  }

  private static void fail(List<String> errors) {
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException("bad benchmark case file" + (errors.size() > 1 ? "s" : "") + ":\n  "
          + String.join("\n  ", errors));
    }
  }

  static List<BenchCase> parse(String file, String text, List<String> errors) {
    List<BenchCase> out = new ArrayList<>();
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      errors.add(file + ": not valid JSON: " + e.getOriginalMessage() + " (line " + e.getLocation().getLineNr()
          + ", column " + e.getLocation().getColumnNr() + ")");
      return out;
    }
    if (root == null || !root.isObject() || !root.has("cases") || !root.get("cases").isArray()) {
      errors.add(file + ": expected an object {\"cases\": [...]} at the top level");
      return out;
    }
    JsonNode cases = root.get("cases");
    for (int i = 0; i < cases.size(); i++) {
      BenchCase c = parseCase(file, i, cases.get(i), errors);
      if (c != null) {
        out.add(c);
      }
    }
    return out;
  }

  private static BenchCase parseCase(String file, int index, JsonNode n, List<String> errors) {
    String where0 = file + ": case #" + (index + 1);
    if (!n.isObject()) {
      errors.add(where0 + ": expected an object but got " + kind(n));
      return null;
    }
    String id = n.hasNonNull("id") && n.get("id").isTextual() ? n.get("id").asText() : null;
    String where = id == null ? where0 : file + ": case '" + id + "'";
    int before = errors.size();
    if (id == null) {
      errors.add(where0 + ": 'id' is required (a string)");
    } else if (!ID.matcher(id).matches()) {
      errors.add(where + ": 'id' may only hold letters, digits, '_', '.' and '-' (it names files)");
    }
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!CASE_KEYS.contains(k)) {
        errors.add(where + ": unknown key '" + k + "'; expected one of " + new java.util.TreeSet<>(CASE_KEYS));
      }
    }
    String op = null;
    if (!n.hasNonNull("op") || !n.get("op").isTextual() || n.get("op").asText().isBlank()) {
      errors.add(where + ": 'op' is required (a registry op name, see detseg op --list)");
    } else {
      op = n.get("op").asText();
    }
    boolean backward = bool(n, "backward", where, errors);
    boolean quick = bool(n, "quick", where, errors);
    Map<String, BenchCase.Input> inputs = new LinkedHashMap<>();
    JsonNode in = n.get("inputs");
    if (in == null || !in.isObject() || in.isEmpty()) {
      errors.add(where + ": 'inputs' is required: an object of input name -> {\"gen\": ..., \"shape\": [...], ...}");
    } else {
      for (Iterator<Map.Entry<String, JsonNode>> it = in.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        BenchCase.Input input = parseInput(where + ": input '" + e.getKey() + "'", e.getKey(), e.getValue(), errors);
        if (input != null) {
          inputs.put(e.getKey(), input);
        }
      }
    }
    Map<String, String> params = new LinkedHashMap<>();
    JsonNode p = n.get("params");
    if (p != null && !p.isNull()) {
      if (!p.isObject()) {
        errors.add(where + ": 'params' must be an object of name -> value string, got " + kind(p));
      } else {
        for (Iterator<Map.Entry<String, JsonNode>> it = p.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          String v = paramText(e.getValue());
          if (v == null) {
            errors.add(where + ": parameter '" + e.getKey() + "': expected a string (as detseg op --param takes it), "
                + "number, boolean or list of numbers but got " + kind(e.getValue()));
          } else {
            params.put(e.getKey(), v);
          }
        }
      }
    }
    Double flops = work(n, "flops", where, errors);
    Double bytes = work(n, "bytes", where, errors);
    Double flopsB = work(n, "flops_backward", where, errors);
    Double bytesB = work(n, "bytes_backward", where, errors);
    if (!backward && (flopsB != null || bytesB != null)) {
      errors.add(where + ": 'flops_backward'/'bytes_backward' given but 'backward' is not true");
    }
    BenchCase.Target target = parseTarget(where, n.get("target"), errors);
    if (errors.size() > before) {
      return null;
    }
    return new BenchCase(id, op, backward, quick, inputs, params, flops, bytes, flopsB, bytesB, target, file);
  }

  private static BenchCase.Input parseInput(String where, String name, JsonNode n, List<String> errors) {
    if (!n.isObject()) {
      errors.add(where + ": expected an object {\"gen\": ..., \"shape\": [...]} but got " + kind(n));
      return null;
    }
    int before = errors.size();
    String gen = n.hasNonNull("gen") && n.get("gen").isTextual() ? n.get("gen").asText() : null;
    Generator g = gen == null ? null : GENERATORS.get(gen);
    if (g == null) {
      errors.add(where + ": 'gen' must be one of " + GENERATORS.keySet() + " but got "
          + (gen == null ? kind(n.get("gen")) : "'" + gen + "'"));
    }
    long[] shape = null;
    JsonNode s = n.get("shape");
    if (s == null || !s.isArray()) {
      errors.add(where + ": 'shape' is required: a list of sizes, e.g. [1000, 4] ([] for a 0-d tensor)");
    } else {
      shape = new long[s.size()];
      for (int i = 0; i < s.size(); i++) {
        if (!s.get(i).canConvertToLong() || !s.get(i).isIntegralNumber() || s.get(i).asLong() < 0) {
          errors.add(where + ": 'shape' entries must be integers >= 0 but got " + s);
          shape = null;
          break;
        }
        shape[i] = s.get(i).asLong();
      }
    }
    Map<String, Double> args = new LinkedHashMap<>();
    if (g != null) {
      for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String k = e.getKey();
        if (k.equals("gen") || k.equals("shape")) {
          continue;
        }
        if (!g.required().contains(k) && !g.optional().containsKey(k)) {
          errors.add(where + ": generator '" + gen + "' has no argument '" + k + "'; it takes " + g.required()
              + (g.optional().isEmpty() ? "" : " and optionally " + g.optional().keySet()));
        } else if (!e.getValue().isNumber()) {
          errors.add(where + ": '" + k + "' must be a number but got " + kind(e.getValue()));
        } else {
          args.put(k, e.getValue().asDouble());
        }
      }
      for (String r : g.required()) {
        if (!n.has(r)) {
          errors.add(where + ": generator '" + gen + "' needs '" + r + "' (it takes " + g.required() + ")");
        }
      }
      g.optional().forEach(args::putIfAbsent);
      if (errors.size() == before) {
        checkGenerator(where, gen, shape, args, errors);
      }
    }
    return errors.size() > before ? null : new BenchCase.Input(name, gen, shape, args);
  }

  private static void checkGenerator(String where, String gen, long[] shape, Map<String, Double> a,
      List<String> errors) {
    switch (gen) {
      case "uniform":
        if (!(a.get("low") <= a.get("high"))) {
          errors.add(where + ": uniform needs low <= high but got low " + a.get("low") + ", high " + a.get("high"));
        }
        break;
      case "normal":
        if (!(a.get("std") >= 0)) {
          errors.add(where + ": normal needs std >= 0 but got " + a.get("std"));
        }
        break;
      case "boxes":
        if (shape.length != 2 || shape[1] != 4) {
          errors.add(where + ": boxes makes xyxy boxes: shape must be [N, 4] but got " + java.util.Arrays.toString(shape));
        }
        if (!(a.get("min_size") > 0 && a.get("min_size") <= a.get("max_size") && a.get("max_size") <= a.get("image"))) {
          errors.add(where + ": boxes needs 0 < min_size <= max_size <= image but got min_size " + a.get("min_size")
              + ", max_size " + a.get("max_size") + ", image " + a.get("image"));
        }
        break;
      case "rois":
        if (shape.length != 2 || shape[1] != 5) {
          errors.add(where + ": rois makes [batch_index, x1, y1, x2, y2] rows: shape must be [K, 5] but got "
              + java.util.Arrays.toString(shape));
        }
        double side = Math.min(a.get("image_h"), a.get("image_w"));
        if (!(a.get("batch") >= 1 && a.get("batch") == Math.rint(a.get("batch")))) {
          errors.add(where + ": rois needs an integer batch >= 1 but got " + a.get("batch"));
        }
        if (!(a.get("min_size") > 0 && a.get("min_size") <= a.get("max_size") && a.get("max_size") <= side)) {
          errors.add(where + ": rois needs 0 < min_size <= max_size <= min(image_h, image_w) but got min_size "
              + a.get("min_size") + ", max_size " + a.get("max_size") + ", image " + a.get("image_h") + "x"
              + a.get("image_w"));
        }
        if (!(a.get("scale") > 0)) {
          errors.add(where + ": rois needs scale > 0 but got " + a.get("scale"));
        }
        break;
      case "randint":
        if (!isInt32(a.get("low")) || !isInt32(a.get("high")) || !(a.get("low") < a.get("high"))) {
          errors.add(where + ": randint needs int32 integers low < high (high exclusive) but got low " + a.get("low")
              + ", high " + a.get("high"));
        }
        break;
      case "labels":
        if (!isInt32(a.get("classes")) || a.get("classes") < 1) {
          errors.add(where + ": labels needs an integer classes >= 1 but got " + a.get("classes"));
        }
        break;
      default:
        break;
    }
  }

  private static boolean isInt32(double v) {
    return v == Math.rint(v) && v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE;
  }

  private static BenchCase.Target parseTarget(String where, JsonNode t, List<String> errors) {
    if (t == null || t.isNull()) {
      return null;
    }
    if (!t.isObject()) {
      errors.add(where + ": 'target' must be an object like {\"ratio\": 5.0, \"note\": \"...\"} or null, got " + kind(t));
      return null;
    }
    for (Iterator<String> it = t.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!TARGET_KEYS.contains(k)) {
        errors.add(where + ": target: unknown key '" + k + "'; expected one of " + new java.util.TreeSet<>(TARGET_KEYS));
      }
    }
    Double ratio = positive(t, "ratio", where + ": target", errors);
    Double peak = positive(t, "peak_pct", where + ": target", errors);
    Double bw = positive(t, "bandwidth_pct", where + ": target", errors);
    if (ratio == null && peak == null && bw == null) {
      errors.add(where + ": target needs at least one of 'ratio', 'peak_pct', 'bandwidth_pct'");
    }
    List<String> backends = names(t, "backends", BACKENDS, List.of("cpu"), where, errors);
    List<String> passes = names(t, "passes", PASSES, List.of(), where, errors);
    String note = t.hasNonNull("note") ? t.get("note").asText() : "";
    return new BenchCase.Target(ratio, peak, bw, backends, passes, note);
  }

  private static List<String> names(JsonNode t, String key, Set<String> allowed, List<String> dflt, String where,
      List<String> errors) {
    JsonNode v = t.get(key);
    if (v == null || v.isNull()) {
      return dflt;
    }
    List<String> out = new ArrayList<>();
    if (!v.isArray()) {
      errors.add(where + ": target: '" + key + "' must be a list of " + allowed + " but got " + kind(v));
      return dflt;
    }
    for (JsonNode e : v) {
      if (!e.isTextual() || !allowed.contains(e.asText())) {
        errors.add(where + ": target: '" + key + "' entries must be among " + allowed + " but got " + e);
      } else {
        out.add(e.asText());
      }
    }
    return out;
  }

  private static Double positive(JsonNode n, String key, String where, List<String> errors) {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isNumber() || !(v.asDouble() > 0)) {
      errors.add(where + ": '" + key + "' must be a number > 0 but got " + v);
      return null;
    }
    return v.asDouble();
  }

  private static Double work(JsonNode n, String key, String where, List<String> errors) {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isNumber() || !(v.asDouble() > 0)) {
      errors.add(where + ": '" + key + "' must be a number > 0 (work per call) or null but got " + v);
      return null;
    }
    return v.asDouble();
  }

  private static boolean bool(JsonNode n, String key, String where, List<String> errors) {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) {
      return false;
    }
    if (!v.isBoolean()) {
      errors.add(where + ": '" + key + "' must be true or false but got " + v);
      return false;
    }
    return v.asBoolean();
  }

  private static String paramText(JsonNode v) {
    if (v.isTextual()) {
      return v.asText();
    }
    if (v.isNumber() || v.isBoolean()) {
      return v.asText();
    }
    if (v.isArray()) {
      List<String> parts = new ArrayList<>();
      for (JsonNode e : v) {
        if (!e.isNumber()) {
          return null;
        }
        parts.add(e.asText());
      }
      return String.join(",", parts);
    }
    return null;
  }

  private static String kind(JsonNode n) {
    if (n == null || n.isMissingNode()) {
      return "nothing";
    }
    if (n.isNull()) {
      return "null";
    }
    return n.getNodeType().name().toLowerCase() + " " + n;
  }

  // ---- selection and the normalized file the harness's other tools read ----------------------

  /** Cases whose id or op matches filter (a regex, find()), and only quick ones when quick. */
  public static List<BenchCase> select(List<BenchCase> all, boolean quick, String filter) {
    Pattern p = filter == null || filter.isEmpty() ? null : Pattern.compile(filter);
    List<BenchCase> out = new ArrayList<>();
    for (BenchCase c : all) {
      if (quick && !c.quick()) {
        continue;
      }
      if (p != null && !p.matcher(c.id()).find() && !p.matcher(c.op()).find()) {
        continue;
      }
      out.add(c);
    }
    return out;
  }

  /** The JSON form of cases (defaults filled, params as strings) that gen_inputs.py, peer.py and JMH read. */
  public static ObjectNode toJson(List<BenchCase> cases, Map<String, String> skipped) {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode arr = root.putArray("cases");
    for (BenchCase c : cases) {
      ObjectNode o = arr.addObject();
      o.put("id", c.id());
      o.put("op", c.op());
      o.put("backward", c.backward());
      o.put("quick", c.quick());
      o.put("file", c.file());
      ObjectNode ins = o.putObject("inputs");
      for (BenchCase.Input in : c.inputs().values()) {
        ObjectNode i = ins.putObject(in.name());
        i.put("gen", in.gen());
        ArrayNode sh = i.putArray("shape");
        for (long d : in.shape()) {
          sh.add(d);
        }
        in.args().forEach(i::put);
      }
      ObjectNode ps = o.putObject("params");
      c.params().forEach(ps::put);
      if (c.target() != null && c.target().peakPct() != null) {
        o.put("peak_pct", c.target().peakPct());  // bench/run measures the FMA peak next to these cases
      }
    }
    ObjectNode sk = root.putObject("skipped");
    skipped.forEach(sk::put);
    return root;
  }

  /** Reads the normalized file back (ids and specs, as written by {@link #toJson}). */
  public static List<BenchCase> fromJson(JsonNode root) {
    List<BenchCase> out = new ArrayList<>();
    for (JsonNode o : root.get("cases")) {
      Map<String, BenchCase.Input> inputs = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = o.get("inputs").fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        JsonNode i = e.getValue();
        long[] shape = new long[i.get("shape").size()];
        for (int k = 0; k < shape.length; k++) {
          shape[k] = i.get("shape").get(k).asLong();
        }
        Map<String, Double> args = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> a = i.fields(); a.hasNext(); ) {
          Map.Entry<String, JsonNode> ae = a.next();
          if (!ae.getKey().equals("gen") && !ae.getKey().equals("shape")) {
            args.put(ae.getKey(), ae.getValue().asDouble());
          }
        }
        inputs.put(e.getKey(), new BenchCase.Input(e.getKey(), i.get("gen").asText(), shape, args));
      }
      Map<String, String> params = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = o.get("params").fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        params.put(e.getKey(), e.getValue().asText());
      }
      out.add(new BenchCase(o.get("id").asText(), o.get("op").asText(), o.get("backward").asBoolean(),
          o.get("quick").asBoolean(), inputs, params, null, null, null, null, null, o.path("file").asText()));
    }
    return out;
  }

  /**
   * Checks cases against the op registry. A case whose op is not registered is not an error (its
   * family may not have landed yet): it is returned in the map (id -> reason) and left out of the run.
   * A case that names a registered op wrongly (unknown or missing inputs, bad parameters, backward
   * asked of an op without one, an input dtype the op cannot take is found later) is an error.
   */
  public static Map<String, String> checkAgainstRegistry(List<BenchCase> cases) {
    Map<String, String> skipped = new LinkedHashMap<>();
    List<String> errors = new ArrayList<>();
    for (BenchCase c : cases) {
      String where = c.file() + ": case '" + c.id() + "'";
      io.detseg.ops.registry.OpSpec op;
      try {
        op = io.detseg.ops.registry.OpRegistry.get(c.op());
      } catch (IllegalArgumentException e) {
        skipped.put(c.id(), "op '" + c.op() + "' is not registered in this build");
        continue;
      }
      Set<String> want = new LinkedHashSet<>(op.inputs());
      if (!want.equals(c.inputs().keySet())) {
        errors.add(where + ": op " + c.op() + " takes inputs " + op.inputs() + " but the case gives "
            + c.inputs().keySet());
      }
      try {
        op.params(c.params());
      } catch (IllegalArgumentException e) {
        errors.add(where + ": " + e.getMessage());
      }
      if (c.backward() && !op.hasBackward()) {
        errors.add(where + ": 'backward' is true but op " + c.op() + " has no backward");
      }
    }
    fail(errors);
    return skipped;
  }
}
