package io.detseg.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.detseg.data.Detection;
import io.detseg.data.Images;
import io.detseg.models.faceapi.FaceApiWeights;
import io.detseg.models.faceapi.FaceDetector;
import io.detseg.models.faceapi.SsdMobilenetV1;
import io.detseg.models.faceapi.TinyFaceDetector;
import io.detseg.tensor.Device;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** `detseg detect`: finds faces in a photo with one of the face-api detectors. */
@Command(name = "detect", mixinStandardHelpOptions = true,
    description = "Detect faces in an image (JPEG or PNG) and print or draw them.")
final class DetectCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "face-ssd or face-tiny-yolo")
  String model;

  @Option(names = "--image", required = true, paramLabel = "IN", description = "the image file")
  Path image;

  @Option(names = "--out", paramLabel = "OUT.png", description = "write a copy of the image with the boxes drawn")
  Path out;

  @Option(names = "--json", description = "print one JSON object instead of a table")
  boolean json;

  @Option(names = "--min-score", paramLabel = "S", description = "minimum score (default: the model's own, 0.5)")
  Double minScore;

  @Option(names = "--backend", defaultValue = "cpu", description = "cpu, cuda-sim or cuda (default: ${DEFAULT-VALUE})")
  String backend;

  @Option(names = "--weights", paramLabel = "DIR",
      description = "folder with the model's weights manifest and .bin (default: the cache, see `detseg models`)")
  Path weights;

  @Override
  public Integer call() throws IOException {
    Device device = Device.parse(backend);
    BufferedImage img = Images.read(image);
    try (FaceDetector detector = open(model, weights, device)) {
      double min = minScore == null ? detector.defaultMinScore() : minScore;
      if (!(min >= 0 && min < 1)) {
        throw new IllegalArgumentException("detect: --min-score: expected a value in [0, 1) but got " + minScore);
      }
      List<Detection> found = detector.detect(img, min);
      if (json) {
        System.out.println(toJson(image, img, found));
      } else {
        System.out.printf(Locale.ROOT, "%s: %d face(s) in %dx%d (%s on %s)%n", image.getFileName(), found.size(),
            img.getWidth(), img.getHeight(), detector.name(), device);
        for (Detection d : found) {
          System.out.printf(Locale.ROOT, "  %-5s %.4f  x=%.1f y=%.1f w=%.1f h=%.1f%n", d.label(), d.score(), d.x(),
              d.y(), d.width(), d.height());
        }
      }
      if (out != null) {
        Images.writePng(Images.drawDetections(img, found), out);
        if (!json) {
          System.out.println("wrote " + out);
        }
      }
    }
    return 0;
  }

  static FaceDetector open(String model, Path weights, Device device) throws IOException {
    switch (model) {
      case "face-ssd":
        return new SsdMobilenetV1(FaceApiWeights.locate(weights, SsdMobilenetV1.MANIFEST), device);
      case "face-tiny-yolo":
        return new TinyFaceDetector(FaceApiWeights.locate(weights, TinyFaceDetector.MANIFEST), device);
      default:
        throw new IllegalArgumentException("detect: --model: expected face-ssd or face-tiny-yolo but got '" + model + "'");
    }
  }

  static String toJson(Path file, BufferedImage img, List<Detection> found) {
    ObjectMapper m = new ObjectMapper();
    ObjectNode root = m.createObjectNode();
    root.put("image", file.toString());
    root.put("width", img.getWidth());
    root.put("height", img.getHeight());
    ArrayNode list = root.putArray("detections");
    for (Detection d : found) {
      ObjectNode o = list.addObject();
      o.put("x", d.x());
      o.put("y", d.y());
      o.put("width", d.width());
      o.put("height", d.height());
      o.put("score", d.score());
      o.put("label", d.label());
    }
    return root.toString();
  }
}
