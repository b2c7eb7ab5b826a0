package io.detseg.perf;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The launch shape of each CUDA kernel for the occupancy report: bench/launch_shapes/&lt;family&gt;.json,
 * {"kernels": {"ds_add_f32": {"block": 256, "dynamic_smem": 0, "note": "..."}, "ds_box_iou_f32":
 * {"block": [32, 8]}}} (block: threads or [x, y, z]; dynamic_smem: bytes at the typical launch, default 0;
 * dynamic_smem_max: the most the launcher ever passes, default dynamic_smem). One file per family so
 * families never edit the same file.
 */
public final class LaunchShapes {
  public record Shape(String kernel, int[] block, int dynamicSmem, int dynamicSmemMax, String note) {
    public int threads() {
      int t = 1;
      for (int d : block) {
        t *= d;
      }
      return t;
    }

    /** "256" or "32×8". */
    public String describeBlock() {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < block.length; i++) {
        b.append(i == 0 ? "" : "×").append(block[i]);
      }
      return b.toString();
    }
  }

  private LaunchShapes() {}

  public static Map<String, Shape> loadDir(Path dir) throws IOException {
    Map<String, Shape> out = new TreeMap<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
    }
    List<String> errors = new ArrayList<>();
    for (Path f : files) {
      parse(f.getFileName().toString(), Files.readString(f), out, errors);
    }
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException("bad launch shape file:\n  " + String.join("\n  ", errors));
    }
    return out;
  }

  static void parse(String file, String text, Map<String, Shape> out, List<String> errors) {
    JsonNode root;
    try {
      root = BenchCases.JSON.readTree(text);
    } catch (JsonProcessingException e) {
      errors.add(file + ": not valid JSON: " + e.getOriginalMessage());
      return;
    }
    JsonNode kernels = root == null ? null : root.get("kernels");
    if (kernels == null || !kernels.isObject()) {
      errors.add(file + ": expected {\"kernels\": {\"name\": {\"block\": 256, \"dynamic_smem\": 0}, ...}}");
      return;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = kernels.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String where = file + ": kernel '" + e.getKey() + "'";
      JsonNode k = e.getValue();
      JsonNode b = k.get("block");
      int[] block;
      if (b != null && b.isInt()) {
        block = new int[] {b.asInt()};
      } else if (b != null && b.isArray() && b.size() >= 1 && b.size() <= 3) {
        block = new int[b.size()];
        for (int i = 0; i < block.length; i++) {
          block[i] = b.get(i).asInt();
        }
      } else {
        errors.add(where + ": 'block' must be a thread count or [x, y, z] but got " + b);
        continue;
      }
      boolean ok = true;
      for (int d : block) {
        ok &= d >= 1;
      }
      JsonNode dyn = k.get("dynamic_smem");
      int smem = dyn == null || dyn.isNull() ? 0 : dyn.asInt(-1);
      if (!ok || smem < 0 || (dyn != null && !dyn.isNull() && !dyn.isInt())) {
        errors.add(where + ": block sizes must be >= 1 and dynamic_smem an integer >= 0");
        continue;
      }
      JsonNode dynMax = k.get("dynamic_smem_max");
      int smemMax = dynMax == null || dynMax.isNull() ? smem : dynMax.isInt() ? dynMax.asInt() : -1;
      if (smemMax < smem) {
        errors.add(where + ": dynamic_smem_max must be an integer >= dynamic_smem (" + smem + ") but got " + dynMax);
        continue;
      }
      if (out.containsKey(e.getKey())) {
        errors.add(where + ": listed twice");
        continue;
      }
      out.put(e.getKey(), new Shape(e.getKey(), block, smem, smemMax, k.path("note").asText("")));
    }
  }
}
