package io.detseg.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.detseg.tensor.Tensor;
import io.detseg.testing.SharedData;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImagesTest {
  @TempDir
  Path dir;

  @Test
  void theReferencePixelsDecodeExactly() throws Exception {
    Path faceapi = SharedData.dataDir("faceapi");
    for (int n = 1; n <= 4; n++) {
      JsonNode image = new ObjectMapper().readTree(faceapi.resolve("sample" + n + ".golden.json").toFile()).get("image");
      BufferedImage img = Images.read(faceapi.resolve("sample" + n + ".rgb.png"));
      try (Tensor t = Images.toHwcTensor(img)) {
        assertArrayEquals(new long[] {image.get("height").asLong(), image.get("width").asLong(), 3}, t.shape());
        byte[] rgb = t.toByteArray();
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(rgb));
        assertEquals(image.get("rgb_sha256").asText(), sha, "sample" + n + ".rgb.png pixels");
      }
      BufferedImage jpg = Images.read(faceapi.resolve("sample" + n + ".jpg"));
      assertEquals(image.get("width").asInt(), jpg.getWidth());
      assertEquals(image.get("height").asInt(), jpg.getHeight());
    }
  }

  @Test
  void grayAndAlphaBecomeRgbWithoutColourManagement() {
    BufferedImage gray = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
    gray.getRaster().setSample(0, 0, 0, 128);
    gray.getRaster().setSample(1, 0, 0, 7);
    assertArrayEquals(new byte[] {(byte) 128, (byte) 128, (byte) 128, 7, 7, 7}, Images.rgbBytes(gray));
    BufferedImage argb = new BufferedImage(1, 1, BufferedImage.TYPE_4BYTE_ABGR);
    argb.getRaster().setPixel(0, 0, new int[] {200, 100, 50, 0}); // fully transparent
    assertArrayEquals(new byte[] {(byte) 200, 100, 50}, Images.rgbBytes(argb), "alpha dropped, not composited");
  }

  @Test
  void detectionsAreDrawnOnACopy() throws Exception {
    BufferedImage img = new BufferedImage(200, 100, BufferedImage.TYPE_INT_RGB);
    BufferedImage out = Images.drawDetections(img, List.of(new Detection(50, 40, 60, 30, 0.97, "face")));
    assertEquals(0, img.getRGB(50, 55) & 0xffffff, "the input is not modified");
    assertTrue((out.getRGB(50, 55) & 0x00ff00) > 0x008000, "the box's left edge is drawn in green");
    Path png = dir.resolve("out.png");
    Images.writePng(out, png);
    assertEquals(200, Images.read(png).getWidth());
  }

  @Test
  void badFilesAreClearErrors() throws Exception {
    Path txt = dir.resolve("x.jpg");
    Files.writeString(txt, "not an image");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Images.read(txt));
    assertTrue(e.getMessage().contains("not a format"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Images.read(dir.resolve("missing.png")));
    assertTrue(e.getMessage().contains("no such file"), e.getMessage());
    byte[] png = Files.readAllBytes(SharedData.dataDir("faceapi").resolve("sample1.rgb.png"));
    Path cut = dir.resolve("cut.png");
    Files.write(cut, java.util.Arrays.copyOf(png, png.length / 3));
    assertThrows(Exception.class, () -> Images.read(cut));
  }
}
