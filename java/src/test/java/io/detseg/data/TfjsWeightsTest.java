package io.detseg.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.tensor.DType;
import io.detseg.tensor.Storage;
import io.detseg.testing.SharedData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TfjsWeightsTest {
  @TempDir
  Path dir;

  @Test
  void loadsTheRealTinyFaceDetectorWeights() throws Exception {
    Path faceapi = SharedData.dataDir("faceapi");
    long before = Storage.liveCount();
    try (TfjsWeights w = TfjsWeights.load(faceapi.resolve("tiny_face_detector_model-weights_manifest.json"))) {
      assertArrayEquals(new long[] {3, 3, 3, 16}, w.get("conv0/filters").shape());
      assertArrayEquals(new long[] {1, 1, 512, 25}, w.get("conv8/filters").shape());
      // conv0/filters[0] from the raw byte: q·scale + min in double, rounded once to float32.
      byte[] bin = Files.readAllBytes(faceapi.resolve("tiny_face_detector_model.bin"));
      float expected = (float) (Byte.toUnsignedInt(bin[0]) * 0.009007044399485869 + -1.2069439495311063);
      assertEquals(expected, w.get("conv0/filters").toFloatArray()[0]);
    }
    assertEquals(before, Storage.liveCount(), "closing the weights frees every tensor");
  }

  @Test
  void loadsTheSsdWeightsWithInt32AndFloatEntries() throws Exception {
    Path faceapi = SharedData.dataDir("faceapi");
    try (TfjsWeights w = TfjsWeights.load(faceapi.resolve("ssd_mobilenetv1_model-weights_manifest.json"))) {
      assertArrayEquals(new long[] {1, 5118, 4}, w.get("Output/extra_dim").shape());
      assertEquals(DType.INT32, w.get("Postprocessor/Slice/size").dtype());
      assertEquals(DType.FLOAT32, w.get("Output/extra_dim").dtype());
    }
  }

  @Test
  void aManifestReachedThroughDotDotStillFindsItsShard() throws Exception {
    Path faceapi = SharedData.dataDir("faceapi");
    Path viaDotDot = faceapi.resolve("..").resolve(faceapi.getFileName()).resolve(
        "tiny_face_detector_model-weights_manifest.json");
    try (TfjsWeights w = TfjsWeights.load(viaDotDot)) {
      assertArrayEquals(new long[] {3, 3, 3, 16}, w.get("conv0/filters").shape());
    }
  }

  // ---- hostile and broken files ---------------------------------------------------------------

  private Path manifest(String weightsJson, int binBytes) throws Exception {
    Files.write(dir.resolve("w.bin"), new byte[binBytes]);
    Path m = dir.resolve("m.json");
    Files.writeString(m, "[{\"paths\": [\"w.bin\"], \"weights\": " + weightsJson + "}]");
    return m;
  }

  private static void rejects(Path manifest, String fragment) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TfjsWeights.load(manifest).close());
    assertTrue(e.getMessage().contains(fragment), "'" + e.getMessage() + "' lacks '" + fragment + "'");
  }

  @Test
  void truncatedAndOversizedShardsAreRejected() throws Exception {
    String w = "[{\"name\": \"a\", \"shape\": [2, 3], \"dtype\": \"float32\"}]";
    rejects(manifest(w, 20), "truncated");
    rejects(manifest(w, 28), "trailing");
  }

  @Test
  void malformedManifestsAreRejected() throws Exception {
    rejects(manifest("[{\"name\": \"a\", \"shape\": [2], \"dtype\": \"string\"}]", 8), "not supported");
    rejects(manifest("[{\"name\": \"a\", \"shape\": [2], \"dtype\": \"float64\"}]", 8), "expected dtype");
    rejects(manifest("[{\"name\": \"a\", \"shape\": [2, -1], \"dtype\": \"float32\"}]", 8), "positive");
    rejects(manifest("[{\"name\": \"a\", \"shape\": [0], \"dtype\": \"float32\"}]", 0), "positive");
    rejects(manifest("[{\"name\": \"a\", \"shape\": [2147483647, 2147483647], \"dtype\": \"float32\"}]", 8),
        "too many elements");
    rejects(manifest("[{\"name\": \"a\", \"shape\": [1], \"dtype\": \"float32\"}, "
        + "{\"name\": \"a\", \"shape\": [1], \"dtype\": \"float32\"}]", 8), "twice");
    rejects(manifest("[{\"shape\": [1], \"dtype\": \"float32\"}]", 4), "no name");
    rejects(manifest("[{\"name\": \"q\", \"shape\": [4], \"dtype\": \"float32\", \"quantization\": "
        + "{\"dtype\": \"int4\", \"scale\": 1, \"min\": 0}}]", 4), "quantization dtype");
    rejects(manifest("[{\"name\": \"q\", \"shape\": [4], \"dtype\": \"float32\", \"quantization\": "
        + "{\"dtype\": \"uint8\"}}]", 4), "scale");
    Path m = dir.resolve("bad.json");
    Files.writeString(m, "[{\"paths\": [\"w.bin\"], \"weights\": [");
    rejects(m, "not valid JSON");
    Files.writeString(m, "{\"paths\": []}");
    rejects(m, "array of weight groups");
    Files.writeString(m, "[{\"paths\": [\"../../etc/passwd\"], \"weights\": []}]");
    rejects(m, "leaves the manifest's folder");
    Files.writeString(m, "[{\"paths\": [\"missing.bin\"], \"weights\": []}]");
    rejects(m, "does not exist");
  }

  @Test
  void decodesEveryQuantizationKind() throws Exception {
    ByteBuffer b = ByteBuffer.allocate(2 + 4 + 4 + 1 + 4).order(ByteOrder.LITTLE_ENDIAN);
    b.put((byte) 200).put((byte) 3);                       // uint8 float32: q*0.5 - 1
    b.putShort((short) 1000).putShort((short) 65535);      // uint16 float32: q*0.25 + 2
    b.putShort((short) 0x3c00).putShort((short) 0xc000);   // float16: 1.0, -2.0
    b.put((byte) 7);                                       // uint8 int32: round(7*0.5+0.25)=4
    b.putFloat(1.25f);                                     // plain float32
    Files.write(dir.resolve("w.bin"), b.array());
    Path m = dir.resolve("q.json");
    Files.writeString(m, "[{\"paths\": [\"w.bin\"], \"weights\": ["
        + "{\"name\": \"u8\", \"shape\": [2], \"dtype\": \"float32\", \"quantization\": {\"dtype\": \"uint8\", \"scale\": 0.5, \"min\": -1}},"
        + "{\"name\": \"u16\", \"shape\": [2], \"dtype\": \"float32\", \"quantization\": {\"dtype\": \"uint16\", \"scale\": 0.25, \"min\": 2}},"
        + "{\"name\": \"f16\", \"shape\": [2], \"dtype\": \"float32\", \"quantization\": {\"dtype\": \"float16\"}},"
        + "{\"name\": \"i\", \"shape\": [], \"dtype\": \"int32\", \"quantization\": {\"dtype\": \"uint8\", \"scale\": 0.5, \"min\": 0.25}},"
        + "{\"name\": \"f\", \"shape\": [1], \"dtype\": \"float32\"}]}]");
    try (TfjsWeights w = TfjsWeights.load(m)) {
      assertArrayEquals(new float[] {99f, 0.5f}, w.get("u8").toFloatArray());
      assertArrayEquals(new float[] {252f, 65535 * 0.25f + 2}, w.get("u16").toFloatArray());
      assertArrayEquals(new float[] {1f, -2f}, w.get("f16").toFloatArray());
      assertArrayEquals(new int[] {4}, w.get("i").toIntArray());
      assertEquals(0, w.get("i").dim());
      assertArrayEquals(new float[] {1.25f}, w.get("f").toFloatArray());
      assertThrows(IllegalArgumentException.class, () -> w.get("nope"));
    }
  }

  @Test
  void halfFloatsDecodeIncludingSubnormalsAndSpecials() {
    assertEquals(65504f, TfjsWeights.halfToFloat((short) 0x7bff));
    assertEquals(0x1p-24f, TfjsWeights.halfToFloat((short) 0x0001));
    assertEquals(Float.NEGATIVE_INFINITY, TfjsWeights.halfToFloat((short) 0xfc00));
    assertTrue(Float.isNaN(TfjsWeights.halfToFloat((short) 0x7e00)));
    assertEquals(-0f, TfjsWeights.halfToFloat((short) 0x8000));
  }
}
