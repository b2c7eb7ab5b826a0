package io.detseg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.detseg.data.Images;
import io.detseg.testing.SharedData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DetectCommandTest {
  @TempDir
  Path dir;

  private static String capture(String... args) {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      assertEquals(0, Main.run(args));
    } finally {
      System.setOut(old);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }

  @Test
  void jsonOutputFollowsTheDocumentedShapeAndTheGolden() throws Exception {
    Path faceapi = SharedData.dataDir("faceapi");
    Path png = dir.resolve("out.png");
    String out = capture("detect", "--model", "face-ssd", "--image", faceapi.resolve("sample1.rgb.png").toString(),
        "--weights", faceapi.toString(), "--json", "--min-score", "0.3", "--out", png.toString());
    JsonNode root = new ObjectMapper().readTree(out);
    assertEquals(1920, root.get("width").asInt());
    assertEquals(1280, root.get("height").asInt());
    JsonNode golden = new ObjectMapper().readTree(faceapi.resolve("sample1.golden.json").toFile())
        .get("ssd_mobilenetv1").get("detections");
    JsonNode dets = root.get("detections");
    assertEquals(golden.size(), dets.size());
    for (int i = 0; i < dets.size(); i++) {
      assertEquals(golden.get(i).get("x").asDouble(), dets.get(i).get("x").asDouble(), 0.01);
      assertEquals(golden.get(i).get("score").asDouble(), dets.get(i).get("score").asDouble(), 1e-4);
      assertEquals("face", dets.get(i).get("label").asText());
      if (i > 0) {
        assertTrue(dets.get(i - 1).get("score").asDouble() >= dets.get(i).get("score").asDouble(), "sorted by score");
      }
    }
    assertEquals(1920, Images.read(png).getWidth());
  }

  @Test
  void tableOutputAndTheModelsOwnDefaultScore() {
    Path faceapi = SharedData.dataDir("faceapi");
    String out = capture("detect", "--model", "face-tiny-yolo", "--image", faceapi.resolve("sample1.jpg").toString(),
        "--weights", faceapi.toString());
    assertTrue(out.startsWith("sample1.jpg: 3 face(s) in 1920x1280 (face-tiny-yolo on cpu)"), out);
  }

  @Test
  void mistakesAreMessagesNotStackTraces() {
    Path faceapi = SharedData.dataDir("faceapi");
    String img = faceapi.resolve("sample1.jpg").toString();
    assertEquals(2, Main.run("detect", "--model", "yolo9000", "--image", img, "--weights", faceapi.toString()));
    assertEquals(2, Main.run("detect", "--model", "face-ssd", "--image", img, "--weights", dir.toString()));
    assertEquals(2, Main.run("detect", "--model", "face-ssd", "--image", dir.resolve("none.jpg").toString(),
        "--weights", faceapi.toString()));
    assertEquals(2, Main.run("detect", "--model", "face-ssd", "--image", img, "--weights", faceapi.toString(),
        "--min-score", "1.5"));
    assertEquals(2, Main.run("models", "fetch", "nothing"));
  }
}
