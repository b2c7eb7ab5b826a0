package io.detseg.bench;

import io.detseg.data.Detection;
import io.detseg.data.Images;
import io.detseg.models.faceapi.FaceDetector;
import io.detseg.models.faceapi.SsdMobilenetV1;
import io.detseg.models.faceapi.TinyFaceDetector;
import io.detseg.tensor.Device;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * End-to-end latency of one face detection on the CPU, as a user sees it: read and decode the JPEG
 * (ImageIO), pad, resize, normalize, run the network, decode, NMS and map back to pixels. The
 * reference runs the same images in bench/faceapi/reference_latency.mjs; bench/faceapi/run.sh runs
 * both and writes the ratio. The weights folder is -Ddetseg.faceapi=DIR (default ../shared/data/faceapi).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "-XX:+UseSerialGC")
public class FaceDetectLatencyBenchmark {
  @Param({"face-ssd", "face-tiny-yolo"})
  public String model;

  @Param({"sample1.jpg", "sample2.jpg", "sample3.jpg", "sample4.jpg"})
  public String image;

  private FaceDetector detector;
  private Path file;

  @Setup(Level.Trial)
  public void setup() throws IOException {
    Path dir = Path.of(System.getProperty("detseg.faceapi", "../shared/data/faceapi"));
    file = dir.resolve(image);
    detector = model.equals("face-ssd") ? new SsdMobilenetV1(dir, Device.CPU) : new TinyFaceDetector(dir, Device.CPU);
  }

  @Benchmark
  public List<Detection> detect() throws IOException {
    return detector.detect(Images.read(file), 0.3);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    detector.close();
  }
}
