package io.detseg.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchCasesTest {
  @TempDir
  Path dir;

  private static final String NMS = "{\"id\": \"nms_5000\", \"op\": \"nms\", \"backward\": false, \"quick\": true,"
      + " \"inputs\": {\"boxes\": {\"gen\": \"boxes\", \"shape\": [5000, 4], \"image\": 1024, \"min_size\": 16,"
      + " \"max_size\": 256}, \"scores\": {\"gen\": \"uniform\", \"shape\": [5000], \"low\": 0.0, \"high\": 1.0}},"
      + " \"params\": {\"iou_threshold\": \"0.5\"}, \"flops\": null, \"bytes\": null,"
      + " \"target\": {\"ratio\": 5.0, \"note\": \"detection-ops issue\"}}";

  private static String file(String... cases) {
    return "{\"cases\": [" + String.join(",", cases) + "]}";
  }

  private static String errorOf(String text) {
    return assertThrows(IllegalArgumentException.class, () -> BenchCases.parse("x.json", text)).getMessage();
  }

  @Test
  void theBriefsExampleParses() {
    List<BenchCase> cs = BenchCases.parse("detection.json", file(NMS));
    assertEquals(1, cs.size());
    BenchCase c = cs.get(0);
    assertEquals("nms_5000", c.id());
    assertEquals("nms", c.op());
    assertTrue(c.quick());
    assertEquals(List.of("forward"), c.passes());
    assertEquals("boxes", c.inputs().get("boxes").gen());
    assertEquals(256.0, c.inputs().get("boxes").args().get("max_size"));
    assertEquals(Map.of("iou_threshold", "0.5"), c.params());
    assertEquals(5.0, c.target().ratio());
    assertEquals(List.of("cpu"), c.target().backends());
    assertTrue(c.target().appliesTo("cpu", "forward"));
    assertFalse(c.target().appliesTo("cuda", "forward"));
  }

  @Test
  void numbersAndListsInParamsBecomeTheTextDetsegOpTakes() {
    String c = "{\"id\": \"r\", \"op\": \"roi_align\", \"inputs\": {\"input\": {\"gen\": \"normal\", \"shape\": [1, 2],"
        + " \"mean\": 0, \"std\": 1}}, \"params\": {\"output_size\": [7, 7], \"aligned\": true, \"spatial_scale\": 0.25}}";
    BenchCase bc = BenchCases.parse("roi.json", file(c)).get(0);
    assertEquals("7,7", bc.params().get("output_size"));
    assertEquals("true", bc.params().get("aligned"));
    assertEquals("0.25", bc.params().get("spatial_scale"));
    assertFalse(bc.backward());
  }

  @Test
  void badJsonNamesLineAndColumn() {
    String m = errorOf("{\"cases\": [ {\"id\": \"a\",, } ]}");
    assertTrue(m.contains("x.json: not valid JSON"), m);
    assertTrue(m.contains("line 1"), m);
  }

  @Test
  void wrongTopLevelIsExplained() {
    assertTrue(errorOf("[1, 2]").contains("expected an object {\"cases\": [...]}"));
    assertTrue(errorOf("{\"case\": []}").contains("expected an object {\"cases\": [...]}"));
  }

  @Test
  void everyProblemOfAFileIsReportedAtOnce() {
    String bad1 = "{\"op\": \"add\", \"inputs\": {\"input\": {\"gen\": \"uniform\", \"shape\": [4], \"low\": 0, \"high\": 1}}}";
    String bad2 = "{\"id\": \"b c\", \"op\": \"add\", \"quick\": \"yes\", \"inptus\": {}}";
    String bad3 = "{\"id\": \"g\", \"op\": \"add\", \"inputs\": {\"input\": {\"gen\": \"gauss\", \"shape\": [4]},"
        + " \"other\": {\"gen\": \"uniform\", \"shape\": [4], \"low\": 0}}}";
    String m = errorOf(file(bad1, bad2, bad3));
    assertTrue(m.contains("x.json: case #1: 'id' is required"), m);
    assertTrue(m.contains("case 'b c': 'id' may only hold letters"), m);
    assertTrue(m.contains("case 'b c': unknown key 'inptus'"), m);
    assertTrue(m.contains("case 'b c': 'quick' must be true or false"), m);
    assertTrue(m.contains("case 'b c': 'inputs' is required"), m);
    assertTrue(m.contains("case 'g': input 'input': 'gen' must be one of [uniform, normal, boxes, rois, randint, labels]"
        + " but got 'gauss'"), m);
    assertTrue(m.contains("case 'g': input 'other': generator 'uniform' needs 'high'"), m);
  }

  @Test
  void generatorArgumentsAreChecked() {
    String boxes = "{\"id\": \"b\", \"op\": \"box_iou\", \"inputs\": {\"boxes1\": {\"gen\": \"boxes\", \"shape\": [10, 5],"
        + " \"image\": 100, \"min_size\": 50, \"max_size\": 10}, \"boxes2\": {\"gen\": \"boxes\", \"shape\": [10, 4],"
        + " \"image\": 100, \"min_size\": 1, \"max_size\": 10, \"colour\": 3}}}";
    String m = errorOf(file(boxes));
    assertTrue(m.contains("input 'boxes1': boxes makes xyxy boxes: shape must be [N, 4] but got [10, 5]"), m);
    assertTrue(m.contains("boxes needs 0 < min_size <= max_size <= image"), m);
    assertTrue(m.contains("input 'boxes2': generator 'boxes' has no argument 'colour'"), m);
    String ints = "{\"id\": \"i\", \"op\": \"x\", \"inputs\": {\"a\": {\"gen\": \"randint\", \"shape\": [3], \"low\": 5,"
        + " \"high\": 5}, \"b\": {\"gen\": \"labels\", \"shape\": [-1], \"classes\": 2.5},"
        + " \"c\": {\"gen\": \"rois\", \"shape\": [8, 5], \"batch\": 2, \"image_h\": 64, \"image_w\": 64,"
        + " \"min_size\": 4, \"max_size\": 32}}}";
    m = errorOf(file(ints));
    assertTrue(m.contains("randint needs int32 integers low < high"), m);
    assertTrue(m.contains("input 'b': 'shape' entries must be integers >= 0"), m);
    assertFalse(m.contains("input 'c'"), "rois with its optional scale left out is fine: " + m);
  }

  @Test
  void workAndTargetsAreChecked() {
    String c = "{\"id\": \"t\", \"op\": \"add\", \"inputs\": {\"a\": {\"gen\": \"normal\", \"shape\": [], \"mean\": 0,"
        + " \"std\": 1}}, \"flops\": -3, \"bytes_backward\": 10, \"target\": {\"ratio\": 0, \"speed\": 2,"
        + " \"backends\": [\"gpu\"]}}";
    String m = errorOf(file(c));
    assertTrue(m.contains("'flops' must be a number > 0 (work per call) or null but got -3"), m);
    assertTrue(m.contains("'flops_backward'/'bytes_backward' given but 'backward' is not true"), m);
    assertTrue(m.contains("target: unknown key 'speed'"), m);
    assertTrue(m.contains("target: 'ratio' must be a number > 0"), m);
    assertTrue(m.contains("'backends' entries must be among"), m);
    String none = "{\"id\": \"t\", \"op\": \"add\", \"inputs\": {\"a\": {\"gen\": \"normal\", \"shape\": [2], \"mean\": 0,"
        + " \"std\": 1}}, \"target\": {\"note\": \"fast\"}}";
    assertTrue(errorOf(file(none)).contains("target needs at least one of 'ratio', 'peak_pct', 'bandwidth_pct'"));
  }

  @Test
  void idsMustBeUniqueAcrossFiles() throws Exception {
    Files.writeString(dir.resolve("a.json"), file(NMS));
    Files.writeString(dir.resolve("b.json"), file(NMS));
    String m = assertThrows(IllegalArgumentException.class, () -> BenchCases.loadDir(dir)).getMessage();
    assertTrue(m.contains("b.json: case 'nms_5000': id already used in a.json"), m);
  }

  @Test
  void selectionByQuickAndFilter() {
    String a = "{\"id\": \"add_small\", \"op\": \"add\", \"quick\": true, \"inputs\": {\"x\": {\"gen\": \"normal\","
        + " \"shape\": [2], \"mean\": 0, \"std\": 1}}}";
    String b = "{\"id\": \"mul_big\", \"op\": \"mul\", \"inputs\": {\"x\": {\"gen\": \"normal\", \"shape\": [2],"
        + " \"mean\": 0, \"std\": 1}}, \"target\": {\"peak_pct\": 50, \"note\": \"x\"}}";
    List<BenchCase> all = BenchCases.parse("f.json", file(a, b));
    assertEquals(List.of("add_small"), BenchCases.select(all, true, null).stream().map(BenchCase::id).toList());
    assertEquals(List.of("mul_big"), BenchCases.select(all, false, "^mul").stream().map(BenchCase::id).toList());
    assertEquals(2, BenchCases.select(all, false, "").size());
    // the normalized file keeps what the other tools need
    List<BenchCase> back = BenchCases.fromJson(BenchCases.toJson(all, Map.of()));
    assertEquals(all.get(0).inputs().get("x").args(), back.get(0).inputs().get("x").args());
    assertEquals("f.json", back.get(1).file());
    var json = BenchCases.toJson(all, Map.of()).get("cases");
    assertEquals(50.0, json.get(1).get("peak_pct").asDouble(), "bench/run reads which cases want the peak next to them");
    assertTrue(json.get(0).path("peak_pct").isMissingNode());
  }

  @Test
  void registryCheckSkipsUnknownOpsAndRejectsMisnamedOnes() {
    String unknown = "{\"id\": \"u\", \"op\": \"no_such_op_yet\", \"inputs\": {\"x\": {\"gen\": \"normal\", \"shape\": [2],"
        + " \"mean\": 0, \"std\": 1}}}";
    Map<String, String> skipped = BenchCases.checkAgainstRegistry(BenchCases.parse("f.json", file(unknown)));
    assertTrue(skipped.get("u").contains("not registered"));

    String wrongInputs = "{\"id\": \"w\", \"op\": \"add\", \"inputs\": {\"x\": {\"gen\": \"normal\", \"shape\": [2],"
        + " \"mean\": 0, \"std\": 1}}, \"params\": {\"alpha\": \"2\"}}";
    String noBackward = "{\"id\": \"n\", \"op\": \"box_iou\", \"backward\": true, \"inputs\": {"
        + "\"boxes1\": {\"gen\": \"boxes\", \"shape\": [2, 4], \"image\": 10, \"min_size\": 1, \"max_size\": 2},"
        + "\"boxes2\": {\"gen\": \"boxes\", \"shape\": [2, 4], \"image\": 10, \"min_size\": 1, \"max_size\": 2}}}";
    String m = assertThrows(IllegalArgumentException.class,
        () -> BenchCases.checkAgainstRegistry(BenchCases.parse("f.json", file(wrongInputs, noBackward)))).getMessage();
    assertTrue(m.contains("case 'w': op add takes inputs [input, other] but the case gives [x]"), m);
    assertTrue(m.contains("case 'w': add: unknown parameter 'alpha'"), m);
    assertTrue(m.contains("case 'n': 'backward' is true but op box_iou has no backward"), m);
  }

  @Test
  void committedCaseAndLaunchShapeFilesAreValid() throws Exception {
    Path bench = Path.of("..", "bench");
    List<BenchCase> all = BenchCases.loadDir(bench.resolve("cases"));
    assertTrue(all.stream().anyMatch(c -> c.id().equals("box_iou_1000x1000")), "basic.json is there");
    BenchCases.checkAgainstRegistry(all); // ops not registered yet are skipped; anything else would throw
    Map<String, LaunchShapes.Shape> shapes = LaunchShapes.loadDir(bench.resolve("launch_shapes"));
    assertEquals(256, shapes.get("ds_box_iou_f32").threads());
    assertEquals("32×8", shapes.get("ds_box_iou_f32").describeBlock());
    assertEquals(32768, shapes.get("ds_conv_dw_f32").dynamicSmemMax());
    assertEquals(0, shapes.get("ds_nn_act_fwd_f32").dynamicSmemMax());
  }

  @Test
  void badLaunchShapeFilesAreExplained() throws Exception {
    Files.writeString(dir.resolve("x.json"), "{\"kernels\": {\"k\": {\"block\": \"big\"}, \"m\": {\"block\": [0, 2]},"
        + " \"t\": {\"block\": 256, \"dynamic_smem\": 4096, \"dynamic_smem_max\": 1024}}}");
    String m = assertThrows(IllegalArgumentException.class, () -> LaunchShapes.loadDir(dir)).getMessage();
    assertTrue(m.contains("x.json: kernel 't': dynamic_smem_max must be an integer >= dynamic_smem (4096) but got 1024"), m);
    assertTrue(m.contains("x.json: kernel 'k': 'block' must be a thread count or [x, y, z]"), m);
    assertTrue(m.contains("x.json: kernel 'm': block sizes must be >= 1"), m);
  }
}
