package io.detseg.models.faceapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.detseg.Devices;
import io.detseg.backend.cuda.SimDriver;
import io.detseg.backend.cuda.SimOptions;
import io.detseg.data.Detection;
import io.detseg.data.Images;
import io.detseg.ops.Views;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import io.detseg.testing.SharedData;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Both face-api detectors against the goldens @vladmandic/face-api 1.7.15 produced on TensorFlow.js
 * (shared/data/faceapi). The exact reference pixels (sampleN.rgb.png): same detections in the same
 * order, boxes within 0.01 px, scores within 1e-4; for sample1 every layer, the network input and the
 * raw outputs within 1e-4 of the tensor's largest magnitude. The .jpg through our own decoding (ImageIO,
 * whose chroma upsampling differs from jpeg-js): same counts, boxes within 3 px, scores within 0.02.
 *
 * <p>On CUDA_SIM the model runs with one thread schedule: every kernel it uses is already checked under
 * two schedules by its own tests, and whole networks under two would only double the time.
 */
class FaceApiGoldenTest {
  static final Path DIR = SharedData.dataDir("faceapi");
  static final ObjectMapper JSON = new ObjectMapper();
  private static SimOptions saved;

  static Stream<Device> devices() {
    return Devices.all();
  }

  @BeforeAll
  static void fastSimulator() {
    saved = SimDriver.open().options();
    SimDriver.open().setOptions(SimOptions.fast());
  }

  @AfterAll
  static void restore() {
    SimDriver.open().setOptions(saved);
  }

  private static JsonNode golden(int n) throws IOException {
    return JSON.readTree(DIR.resolve("sample" + n + ".golden.json").toFile());
  }

  private static List<FaceDetector> models(Device d) throws IOException {
    return List.of(new SsdMobilenetV1(DIR, d), new TinyFaceDetector(DIR, d));
  }

  private static String key(FaceDetector m) {
    return m instanceof SsdMobilenetV1 ? "ssd_mobilenetv1" : "tiny_face_detector";
  }

  @ParameterizedTest
  @MethodSource("devices")
  void referencePixelsGiveTheReferenceDetections(Device d) throws Exception {
    Devices.assumeUsable(d);
    int[] images = d == Device.CPU ? new int[] {1, 2, 3, 4} : new int[] {1, 4};
    for (FaceDetector m : models(d)) {
      try (m) {
        for (int n : images) {
          BufferedImage img = Images.read(DIR.resolve("sample" + n + ".rgb.png"));
          JsonNode expected = golden(n).get(key(m)).get("detections");
          compare(m.name() + " sample" + n, expected, m.detect(img, 0.3), 0.01, 1e-4);
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void decodedJpegsGiveTheSameFacesWithinTheDecoderSlack(Device d) throws Exception {
    Devices.assumeUsable(d);
    int[] images = d == Device.CPU ? new int[] {1, 2, 3, 4} : new int[] {3};
    for (FaceDetector m : models(d)) {
      try (m) {
        for (int n : images) {
          BufferedImage img = Images.read(DIR.resolve("sample" + n + ".jpg"));
          compare(m.name() + " sample" + n + ".jpg", golden(n).get(key(m)).get("detections"), m.detect(img, 0.3),
              3.0, 0.02);
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void ssdLayersInputAndRawOutputsMatchLayerByLayer(Device d) throws Exception {
    Devices.assumeUsable(d);
    JsonNode raw = JSON.readTree(DIR.resolve("sample1.raw.json").toFile()).get("ssd_mobilenetv1");
    BufferedImage img = Images.read(DIR.resolve("sample1.rgb.png"));
    try (SsdMobilenetV1 ssd = new SsdMobilenetV1(DIR, d); Scope s = Scope.open()) {
      SquareInput g = new SquareInput(img.getWidth(), img.getHeight(), SsdMobilenetV1.INPUT_SIZE);
      Tensor input = ssd.preprocess(img, g);
      checkSummary("preprocessed_input", raw.get("preprocessed_input"), input);
      List<String> seen = new ArrayList<>();
      SsdMobilenetV1.Outputs out = ssd.forward(input, (name, t) -> {
        checkSummary(name, layer(raw, name), t);
        seen.add(name);
      });
      assertEquals(raw.get("layers").size(), seen.size(), "every reference layer was compared");
      checkFull("box_encodings", raw.get("box_encodings"), out.boxEncodings().toFloatArray());
      checkFull("class_logits", raw.get("class_logits"), out.classLogits().toFloatArray());
      SsdMobilenetV1.Decoded dec = ssd.decode(out);
      checkFull("decoded_boxes", raw.get("decoded_boxes"), dec.boxes().toFloatArray());
      checkFull("scores", raw.get("scores"), dec.scores().toFloatArray());
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void tinyLayersInputAndRawOutputsMatchLayerByLayer(Device d) throws Exception {
    Devices.assumeUsable(d);
    JsonNode raw = JSON.readTree(DIR.resolve("sample1.raw.json").toFile()).get("tiny_face_detector");
    BufferedImage img = Images.read(DIR.resolve("sample1.rgb.png"));
    try (TinyFaceDetector tiny = new TinyFaceDetector(DIR, d); Scope s = Scope.open()) {
      SquareInput g = new SquareInput(img.getWidth(), img.getHeight(), TinyFaceDetector.DEFAULT_INPUT_SIZE);
      Tensor input = tiny.preprocess(img, g);
      checkSummary("preprocessed_input", raw.get("preprocessed_input"), input);
      List<String> seen = new ArrayList<>();
      Tensor grid = tiny.forward(input, (name, t) -> {
        checkSummary(name, layer(raw, name), t);
        seen.add(name);
      });
      assertEquals(raw.get("layers").size(), seen.size(), "every reference layer was compared");
      checkFull("output_grid", raw.get("output_grid"), grid.toFloatArray());
    }
  }

  // ---- comparisons ------------------------------------------------------------------------------

  private static void compare(String what, JsonNode expected, List<Detection> got, double px, double score) {
    assertEquals(expected.size(), got.size(), what + ": number of detections; got " + got);
    for (int i = 0; i < got.size(); i++) {
      JsonNode e = expected.get(i);
      Detection g = got.get(i);
      String at = what + " detection " + i;
      assertEquals(e.get("x").asDouble(), g.x(), px, at + " x");
      assertEquals(e.get("y").asDouble(), g.y(), px, at + " y");
      assertEquals(e.get("width").asDouble(), g.width(), px, at + " width");
      assertEquals(e.get("height").asDouble(), g.height(), px, at + " height");
      assertEquals(e.get("score").asDouble(), g.score(), score, at + " score");
    }
  }

  private static JsonNode layer(JsonNode raw, String name) {
    for (JsonNode l : raw.get("layers")) {
      if (l.get("name").asText().equals(name)) {
        return l;
      }
    }
    throw new AssertionError("no reference layer named " + name);
  }

  /** first16 (NHWC order), mean, min and max of an NCHW tensor, within 1e-4 of its largest magnitude. */
  private static void checkSummary(String name, JsonNode ref, Tensor nchw) {
    float[] v;
    try (Tensor nhwc = Views.permute(nchw, 0, 2, 3, 1)) {
      v = nhwc.toFloatArray();
    }
    JsonNode stats = ref.get("stats");
    assertEquals(stats.get("count").asLong(), v.length, name + ": element count");
    double scale = Math.max(Math.abs(stats.get("min").asDouble()), Math.abs(stats.get("max").asDouble()));
    double tol = 1e-4 * Math.max(scale, 1e-6);
    JsonNode first = ref.get("first16");
    for (int i = 0; i < first.size(); i++) {
      assertEquals(first.get(i).asDouble(), v[i], tol, name + ": element " + i);
    }
    double sum = 0;
    float min = Float.POSITIVE_INFINITY;
    float max = Float.NEGATIVE_INFINITY;
    for (float x : v) {
      sum += x;
      min = Math.min(min, x);
      max = Math.max(max, x);
    }
    assertEquals(stats.get("mean").asDouble(), sum / v.length, tol, name + ": mean");
    assertEquals(stats.get("min").asDouble(), min, tol, name + ": min");
    assertEquals(stats.get("max").asDouble(), max, tol, name + ": max");
  }

  private static void checkFull(String name, JsonNode ref, float[] got) {
    JsonNode data = ref.get("data");
    assertEquals(data.size(), got.length, name + ": element count");
    double scale = 0;
    for (JsonNode x : data) {
      scale = Math.max(scale, Math.abs(x.asDouble()));
    }
    double tol = 1e-4 * scale;
    double worst = 0;
    for (int i = 0; i < got.length; i++) {
      worst = Math.max(worst, Math.abs(data.get(i).asDouble() - got[i]));
    }
    assertTrue(worst <= tol, name + ": max |difference| " + worst + " exceeds " + tol);
  }
}
