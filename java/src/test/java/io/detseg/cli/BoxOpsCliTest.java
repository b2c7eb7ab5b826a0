package io.detseg.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.Devices;
import io.detseg.ops.registry.OpRegistry;
import io.detseg.ops.registry.OpSpec;
import io.detseg.tensor.Device;
import io.detseg.tensor.Npy;
import io.detseg.tensor.Tensor;
import io.detseg.testing.Goldens;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every box-family op is registered under its torchvision-style name and runs through `detseg op`. */
class BoxOpsCliTest {
  static final String[] OPS = {"box_area", "generalized_box_iou", "clip_boxes_to_image", "remove_small_boxes",
      "box_convert", "anchor_grid", "ssd_default_boxes", "yolo_decode", "encode_boxes", "decode_boxes",
      "encode_boxes_ssd", "decode_boxes_ssd", "match_boxes", "ssd_match_boxes", "sample_pos_neg",
      "hard_negative_mining"};

  @TempDir
  Path dir;

  private Path golden(String c, String name) throws Exception {
    Path p = dir.resolve(c + "_" + name + ".npy");
    try (Tensor t = Goldens.load("boxes", c, name)) {
      Npy.write(t, p);
    }
    return p;
  }

  private static Tensor read(Path p) throws Exception {
    return Npy.read(p);
  }

  private static float[] goldenFloats(String c, String name) {
    try (Tensor t = Goldens.load("boxes", c, name)) {
      return t.toFloatArray();
    }
  }

  @Test
  void everyOpIsListedWithItsInputs() {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      assertEquals(0, Main.run("op", "--list"));
    } finally {
      System.setOut(old);
    }
    String all = buf.toString(StandardCharsets.UTF_8);
    for (String op : OPS) {
      assertTrue(all.contains("\n" + op + " - "), "missing " + op);
      OpSpec spec = OpRegistry.get(op);
      assertTrue(spec.inputs().size() >= 1, op);
    }
    assertTrue(all.contains("inputs:  boxes1 (grad), boxes2 (grad)"), all);
  }

  @Test
  void boxOpsRunForwardAndBackwardOnEachBackend() throws Exception {
    Devices.assumeUsable(Device.CUDA_SIM);
    String c = "giou_odd";
    for (String backend : new String[] {"cpu", "cuda-sim"}) {
      Path out = dir.resolve("giou-" + backend);
      assertEquals(0, Main.run("op", "generalized_box_iou", "--backend", backend, "--input",
          "boxes1=" + golden(c, "boxes1"), "--input", "boxes2=" + golden(c, "boxes2"), "--grad-output",
          "output=" + golden(c, "grad_output"), "--output-dir", out.toString()));
      try (Tensor o = read(out.resolve("output.npy")); Tensor g = read(out.resolve("grad_boxes2.npy"))) {
        assertArrayEquals(new long[] {23, 41}, o.shape());
        assertArrayEquals(new long[] {41, 4}, g.shape());
      }
      Path conv = dir.resolve("conv-" + backend);
      assertEquals(0, Main.run("op", "box_convert", "--backend", backend, "--input",
          "boxes=" + golden("convert_xywh_cxcywh", "boxes"), "--param", "in_fmt=xywh", "--param", "out_fmt=cxcywh",
          "--output-dir", conv.toString()));
      try (Tensor o = read(conv.resolve("output.npy"))) {
        assertArrayEquals(goldenFloats("convert_xywh_cxcywh", "output"), o.toFloatArray());
      }
      Path small = dir.resolve("small-" + backend);
      assertEquals(0, Main.run("op", "remove_small_boxes", "--backend", backend, "--input",
          "boxes=" + golden("remove_small", "boxes"), "--param", "min_size=10", "--output-dir", small.toString()));
      try (Tensor o = read(small.resolve("output.npy")); Tensor e = Goldens.load("boxes", "remove_small", "output")) {
        assertArrayEquals(e.toIntArray(), o.toIntArray());
      }
    }
    assertEquals(2, Main.run("op", "clip_boxes_to_image", "--input", "boxes=" + golden("clip_3d", "boxes"),
        "--param", "size=1,2,3", "--output-dir", dir.toString()), "size takes (height, width)");
  }

  @Test
  void generatorsTakeTheirGridSizesAsAnInt32Input() throws Exception {
    Devices.assumeUsable(Device.CUDA_SIM);
    for (String backend : new String[] {"cpu", "cuda-sim"}) {
      Path out = dir.resolve("fpn-" + backend);
      assertEquals(0, Main.run("op", "anchor_grid", "--backend", backend, "--input",
          "grid_sizes=" + golden("anchor_fpn", "grid_sizes"), "--param", "sizes=32;64;128;256;512", "--param",
          "image_size=200,272", "--output-dir", out.toString()));
      try (Tensor o = read(out.resolve("output.npy"))) {
        assertArrayEquals(goldenFloats("anchor_fpn", "output"), o.toFloatArray());
      }
      Path ssd = dir.resolve("ssd-" + backend);
      assertEquals(0, Main.run("op", "ssd_default_boxes", "--backend", backend, "--input",
          "grid_sizes=" + golden("ssd300_vgg16", "grid_sizes"), "--param", "aspect_ratios=2;2,3;2,3;2,3;2;2",
          "--param", "scales=0.07,0.15,0.33,0.51,0.69,0.87,1.05", "--param", "steps=8,16,32,64,100,300",
          "--param", "image_size=300,300", "--output-dir", ssd.toString()));
      try (Tensor o = read(ssd.resolve("output.npy"))) {
        assertArrayEquals(goldenFloats("ssd300_vgg16", "output"), o.toFloatArray());
      }
      Path paper = dir.resolve("paper-" + backend);
      assertEquals(0, Main.run("op", "ssd_default_boxes", "--backend", backend, "--input",
          "grid_sizes=" + golden("ssd_paper", "grid_sizes"), "--param", "image_size=300,300", "--output-dir",
          paper.toString()), "defaults: ratios 2,3 on every level, s_min 0.2, s_max 0.9, clip");
      try (Tensor o = read(paper.resolve("output.npy"))) {
        assertArrayEquals(goldenFloats("ssd_paper", "output"), o.toFloatArray());
      }
    }
    assertEquals(2, Main.run("op", "anchor_grid", "--input", "grid_sizes=" + golden("anchor_fpn", "output"),
        "--param", "image_size=200,272", "--output-dir", dir.toString()), "grid_sizes must be int32 [L, 2]");
  }

  @Test
  void matchingAndSamplingWriteTheirOutputs() throws Exception {
    Path m = dir.resolve("match");
    assertEquals(0, Main.run("op", "match_boxes", "--input", "match_quality_matrix="
        + golden("match_lowq", "match_quality_matrix"), "--param", "allow_low_quality_matches=true", "--output-dir",
        m.toString()));
    try (Tensor o = read(m.resolve("output.npy")); Tensor e = Goldens.load("boxes", "match_lowq", "output")) {
      assertArrayEquals(e.toIntArray(), o.toIntArray());
    }
    Path s = dir.resolve("sample");
    assertEquals(0, Main.run("op", "sample_pos_neg", "--input", "matched_idxs=" + golden("sample_seed42",
        "matched_idxs"), "--param", "seed=42", "--output-dir", s.toString()));
    try (Tensor o = read(s.resolve("neg_mask.npy")); Tensor e = Goldens.load("boxes", "sample_seed42", "neg_mask")) {
      assertArrayEquals(e.toByteArray(), o.toByteArray());
    }
    Path h = dir.resolve("hnm");
    assertEquals(0, Main.run("op", "hard_negative_mining", "--input", "loss=" + golden("hnm_2_5", "loss"), "--input",
        "labels=" + golden("hnm_2_5", "labels"), "--param", "neg_pos_ratio=2.5", "--output-dir", h.toString()));
    try (Tensor o = read(h.resolve("mask.npy")); Tensor e = Goldens.load("boxes", "hnm_2_5", "mask")) {
      assertArrayEquals(e.toByteArray(), o.toByteArray());
    }
    Path y = dir.resolve("yolo");
    assertEquals(0, Main.run("op", "yolo_decode", "--input", "input=" + golden("yolo_small", "input"), "--param",
        "anchors=10,13,16,30,33,23", "--param", "image_size=160,224", "--output-dir", y.toString()));
    Path dcd = dir.resolve("decode");
    assertEquals(0, Main.run("op", "decode_boxes", "--input", "rel_codes=" + golden("decode_w10_k3", "rel_codes"),
        "--input", "boxes=" + golden("decode_w10_k3", "boxes"), "--param", "weights=10,10,5,5", "--output-dir",
        dcd.toString()));
    try (Tensor o = read(dcd.resolve("output.npy"))) {
      assertArrayEquals(new long[] {64, 12}, o.shape());
    }
    assertEquals(2, Main.run("op", "sample_pos_neg", "--input", "matched_idxs=" + golden("sample_seed42",
        "matched_idxs"), "--param", "seed=abc", "--output-dir", s.toString()));
  }
}
