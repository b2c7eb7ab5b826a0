package io.detseg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `detseg bench --select`, the step bench/run starts with (no timing here). */
class BenchCommandTest {
  @TempDir
  Path root;

  private static final String CASES = "{\"cases\": ["
      + "{\"id\": \"relu_small\", \"op\": \"relu\", \"backward\": true, \"quick\": true,"
      + " \"inputs\": {\"input\": {\"gen\": \"normal\", \"shape\": [8], \"mean\": 0, \"std\": 1}}},"
      + "{\"id\": \"add_big\", \"op\": \"add\", \"inputs\": {"
      + " \"input\": {\"gen\": \"uniform\", \"shape\": [8], \"low\": 0, \"high\": 1},"
      + " \"other\": {\"gen\": \"uniform\", \"shape\": [8], \"low\": 0, \"high\": 1}}},"
      + "{\"id\": \"later\", \"op\": \"op_of_a_family_not_merged_yet\", \"quick\": true,"
      + " \"inputs\": {\"x\": {\"gen\": \"labels\", \"shape\": [8], \"classes\": 3}}}]}";

  private int run(ByteArrayOutputStream err, String... args) {
    PrintStream old = System.err;
    PrintStream oldOut = System.out;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    try {
      return Main.run(args);
    } finally {
      System.setErr(old);
      System.setOut(oldOut);
    }
  }

  @Test
  void selectWritesTheQuickCasesAndListsUnregisteredOps() throws Exception {
    Files.createDirectories(root.resolve("bench/cases"));
    Files.writeString(root.resolve("bench/cases/basic.json"), CASES);
    Path out = root.resolve("work/cases.json");
    int code = run(new ByteArrayOutputStream(), "bench", "--root", root.toString(), "--select", out.toString(), "--quick");
    assertEquals(0, code);
    JsonNode sel = new ObjectMapper().readTree(out.toFile());
    assertEquals(1, sel.get("cases").size());
    assertEquals("relu_small", sel.get("cases").get(0).get("id").asText());
    assertEquals("basic.json", sel.get("cases").get(0).get("file").asText());
    assertEquals(1.0, sel.get("cases").get(0).get("inputs").get("input").get("std").asDouble());
    assertTrue(sel.get("skipped").get("later").asText().contains("not registered"));
  }

  @Test
  void aBadCaseFileStopsTheRunWithItsProblems() throws Exception {
    Files.createDirectories(root.resolve("bench/cases"));
    Files.writeString(root.resolve("bench/cases/nms.json"), "{\"cases\": [{\"id\": \"n\", \"op\": \"relu\","
        + " \"inputs\": {\"input\": {\"gen\": \"boxes\", \"shape\": [3, 4], \"image\": 10}}}]}");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = run(err, "bench", "--root", root.toString(), "--select", root.resolve("c.json").toString());
    assertEquals(2, code);
    String msg = err.toString(StandardCharsets.UTF_8);
    assertTrue(msg.contains("nms.json: case 'n': input 'input': generator 'boxes' needs 'min_size'"), msg);
    assertTrue(msg.contains("needs 'max_size'"), msg);
  }
}
