package io.detseg.models.faceapi;

import io.detseg.data.Detection;
import java.awt.image.BufferedImage;
import java.util.List;

/** A face detector: an RGB image in, boxes in original-image pixels out, sorted by score. */
public interface FaceDetector extends AutoCloseable {
  /** "face-ssd" or "face-tiny-yolo". */
  String name();

  /** The model's own default minimum score (face-api's option default). */
  double defaultMinScore();

  List<Detection> detect(BufferedImage image, double minScore);

  /** Frees the weights held on the device. */
  @Override
  void close();
}
