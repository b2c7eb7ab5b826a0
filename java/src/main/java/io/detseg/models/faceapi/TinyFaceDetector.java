package io.detseg.models.faceapi;

import io.detseg.data.Detection;
import io.detseg.data.TfjsWeights;
import io.detseg.ops.Nms;
import io.detseg.ops.Views;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * face-api's TinyFaceDetector (MODELS.md §3): a Tiny-YOLOv2 of separable convolutions with leaky ReLU
 * and 2×2 max pooling, a 13×13 grid of 5 anchors, and greedy NMS at IoU 0.4.
 */
public final class TinyFaceDetector implements FaceDetector {
  public static final String MANIFEST = "tiny_face_detector_model-weights_manifest.json";
  static final int DEFAULT_INPUT_SIZE = 416;
  static final double IOU_THRESHOLD = 0.4;
  /** Per-channel means (R, G, B), float32-rounded as tf.fill makes them. */
  static final float[] MEAN = {117.001f, 114.697f, 97.404f};
  static final double[][] ANCHORS = {{1.603231, 2.094468}, {6.041143, 7.080126}, {2.882459, 3.518061},
      {4.266906, 5.178857}, {9.041765, 10.66308}};

  private final Device device;
  private final int inputSize;
  private final List<Tensor> owned = new ArrayList<>();
  private final Tensor conv0Weight;
  private final Tensor conv0Bias;
  private final Tensor[] depthwise = new Tensor[6];
  private final Tensor[] pointwise = new Tensor[6];
  private final Tensor[] bias = new Tensor[6];
  private final Tensor conv8Weight;
  private final Tensor conv8Bias;

  public TinyFaceDetector(Path weightsDir, Device device) throws IOException {
    this(weightsDir, device, DEFAULT_INPUT_SIZE);
  }

  /** inputSize must be a multiple of 32 (face-api's rule). */
  public TinyFaceDetector(Path weightsDir, Device device, int inputSize) throws IOException {
    if (inputSize <= 0 || inputSize % 32 != 0) {
      throw new IllegalArgumentException("face-tiny-yolo: argument 'inputSize': expected a positive multiple of 32 but got "
          + inputSize);
    }
    this.device = device;
    this.inputSize = inputSize;
    try (TfjsWeights w = TfjsWeights.load(weightsDir.resolve(MANIFEST))) {
      conv0Weight = own(TfLayers.convFilter(w.get("conv0/filters"), device));
      conv0Bias = own(w.get("conv0/bias").to(device));
      for (int i = 1; i <= 5; i++) {
        depthwise[i] = own(TfLayers.depthwiseFilter(w.get("conv" + i + "/depthwise_filter"), device));
        pointwise[i] = own(TfLayers.convFilter(w.get("conv" + i + "/pointwise_filter"), device));
        bias[i] = own(w.get("conv" + i + "/bias").to(device));
      }
      conv8Weight = own(TfLayers.convFilter(w.get("conv8/filters"), device));
      conv8Bias = own(w.get("conv8/bias").to(device));
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  private Tensor own(Tensor t) {
    owned.add(t);
    return t;
  }

  @Override
  public String name() {
    return "face-tiny-yolo";
  }

  @Override
  public double defaultMinScore() {
    return 0.5;
  }

  /** The network input: padded, resized to inputSize², then (x − mean) / 255 per channel. */
  Tensor preprocess(BufferedImage image, SquareInput geometry) {
    try (Tensor resized = geometry.resized(image, device)) {
      return TfLayers.channelAffine(resized, MEAN, 1 / 255f, 0f);
    }
  }

  /** The output grid [1, S, S, 25]: per cell 5 anchors × (tx, ty, tw, th, objectness). */
  Tensor forward(Tensor input) {
    return forward(input, (name, t) -> { });
  }

  /** The forward pass, showing each layer's output (NCHW) to {@code layers} under face-api's layer names. */
  Tensor forward(Tensor input, BiConsumer<String, Tensor> layers) {
    try (Scope s = Scope.open()) {
      Tensor x = TfLayers.leaky(TfLayers.convValid(input, conv0Weight, conv0Bias, 1));
      layers.accept("conv0", x);
      x = TfLayers.maxPoolSame(x, 2, 2);
      layers.accept("maxpool_0", x);
      for (int i = 1; i <= 5; i++) {
        // Separable block: zero pad 1, depthwise 3×3 valid, pointwise 1×1 + bias, leaky.
        Tensor d = io.detseg.ops.Conv.conv2d(x, depthwise[i], null, new int[] {1, 1}, new int[] {1, 1},
            new int[] {1, 1}, (int) x.size(1));
        x = TfLayers.leaky(TfLayers.convValid(d, pointwise[i], bias[i], 1));
        layers.accept("conv" + i, x);
        x = TfLayers.maxPoolSame(x, 2, i == 5 ? 1 : 2);
        layers.accept("maxpool_" + i, x);
      }
      Tensor out = TfLayers.convValid(x, conv8Weight, conv8Bias, 1);
      layers.accept("conv8", out);
      return s.keep(Views.permute(out, 0, 2, 3, 1));
    }
  }

  @Override
  public List<Detection> detect(BufferedImage image, double minScore) {
    SquareInput geometry = new SquareInput(image.getWidth(), image.getHeight(), inputSize);
    try (Scope s = Scope.open()) {
      Tensor grid = forward(preprocess(image, geometry));
      return postprocess(grid.toFloatArray(), (int) grid.size(1), geometry, minScore);
    }
  }

  /** Grid decoding in double precision as face-api does (MODELS.md §3.4), then NMS as a detseg op. */
  List<Detection> postprocess(float[] grid, int cells, SquareInput g, double minScore) {
    int n = Math.max(g.reshapedWidth, g.reshapedHeight);
    double cfx = (double) n / g.reshapedWidth;
    double cfy = (double) n / g.reshapedHeight;
    List<double[]> found = new ArrayList<>();
    for (int row = 0; row < cells; row++) {
      for (int col = 0; col < cells; col++) {
        for (int a = 0; a < 5; a++) {
          int o = ((row * cells + col) * 5 + a) * 5;
          double score = sigmoid(grid[o + 4]);
          if (!(score > minScore)) {
            continue;
          }
          double cx = (col + sigmoid(grid[o])) / cells * cfx;
          double cy = (row + sigmoid(grid[o + 1])) / cells * cfy;
          double w = Math.exp(grid[o + 2]) * ANCHORS[a][0] / cells * cfx;
          double h = Math.exp(grid[o + 3]) * ANCHORS[a][1] / cells * cfy;
          found.add(new double[] {cx - w / 2, cy - h / 2, w, h, score});
        }
      }
    }
    if (found.isEmpty()) {
      return List.of();
    }
    float[] boxes = new float[4 * found.size()];
    float[] scores = new float[found.size()];
    for (int i = 0; i < found.size(); i++) {
      double[] f = found.get(i);
      boxes[4 * i] = (float) (f[0] * inputSize);
      boxes[4 * i + 1] = (float) (f[1] * inputSize);
      boxes[4 * i + 2] = (float) ((f[0] + f[2]) * inputSize);
      boxes[4 * i + 3] = (float) ((f[1] + f[3]) * inputSize);
      scores[i] = (float) f[4];
    }
    int[] keep;
    try (Scope s = Scope.open()) {
      keep = Nms.nms(Tensor.of(device, boxes, found.size(), 4), Tensor.of(device, scores), IOU_THRESHOLD)
          .toIntArray();
    }
    List<Detection> out = new ArrayList<>();
    for (int i : keep) {
      double[] f = found.get(i);
      out.add(new Detection(f[0] * g.width, f[1] * g.height, f[2] * g.width, f[3] * g.height, f[4], "face"));
    }
    return out;
  }

  private static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }

  @Override
  public void close() {
    owned.forEach(Tensor::close);
    owned.clear();
  }
}
