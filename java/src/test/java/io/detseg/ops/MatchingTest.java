package io.detseg.ops;

import static io.detseg.ops.BoxTesting.bytes;
import static io.detseg.ops.BoxTesting.floats;
import static io.detseg.ops.BoxTesting.golden;
import static io.detseg.ops.BoxTesting.ints;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.Devices;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * match_boxes / ssd_match_boxes against torchvision's Matcher and SSDMatcher (ties, NaN, values at the
 * thresholds, duplicate gts), sample_pos_neg against an independent reference of detseg's seeded
 * definition plus its properties, and hard_negative_mining against the reference of its definition
 * (tied losses, NaN, ±0, ±inf). Selections must be identical on every backend.
 */
class MatchingTest {
  static Stream<Device> devices() {
    return Devices.all();
  }

  // ---- matcher -------------------------------------------------------------------------------

  @ParameterizedTest
  @MethodSource("devices")
  void matcherMatchesTorchvision(Device d) {
    Devices.assumeUsable(d);
    for (String c : new String[] {"match_plain", "match_lowq", "match_ties", "match_ties_plain", "match_nan",
        "match_one", "match_many_gt"}) {
      try (Scope s = Scope.open()) {
        Tensor out = Matching.matchBoxes(golden(d, c, "match_quality_matrix"), floats(c, "high")[0],
            floats(c, "low")[0], ints(c, "allow")[0] == 1);
        assertArrayEquals(ints(c, "output"), out.toIntArray(), c);
      }
    }
    for (String c : new String[] {"ssd_match", "ssd_match_shared"}) {
      try (Scope s = Scope.open()) {
        Tensor out = Matching.ssdMatchBoxes(golden(d, c, "match_quality_matrix"), floats(c, "threshold")[0]);
        assertArrayEquals(ints(c, "output"), out.toIntArray(), c);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void matcherOddShapes(Device d) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      // no gt: every prediction is background (torchvision raises; its callers label such images 0)
      Tensor noGt = Tensor.of(d, new float[0], 0, 5);
      assertArrayEquals(new int[] {-1, -1, -1, -1, -1}, Matching.matchBoxes(noGt, 0.7f, 0.3f, true).toIntArray());
      assertArrayEquals(new int[] {-1, -1, -1, -1, -1}, Matching.ssdMatchBoxes(noGt, 0.5f).toIntArray());
      // no predictions: nothing to match
      assertEquals(0, Matching.matchBoxes(Tensor.of(d, new float[0], 3, 0), 0.7f, 0.3f, false).numel());
      // thresholds equal: nothing is "between"
      Tensor q = Tensor.of(d, new float[] {0.2f, 0.5f, 0.8f}, 1, 3);
      assertArrayEquals(new int[] {-1, 0, 0}, Matching.matchBoxes(q, 0.5f, 0.5f, false).toIntArray());
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void matcherAgreesWithTheCpuOnALargeMatrix(Device d) {
    Devices.assumeUsable(d);
    Random rnd = new Random(41);
    int m = 37;
    int n = 20_011;
    float[] q = new float[m * n];
    for (int i = 0; i < q.length; i++) {
      q[i] = Math.round(rnd.nextFloat() * 20) / 20f; // coarse values: many ties
    }
    try (Scope s = Scope.open()) {
      for (boolean low : new boolean[] {false, true}) {
        assertArrayEquals(Matching.matchBoxes(Tensor.of(q, m, n), 0.7f, 0.3f, low).toIntArray(),
            Matching.matchBoxes(Tensor.of(d, q, m, n), 0.7f, 0.3f, low).toIntArray(), "low quality " + low);
      }
      assertArrayEquals(Matching.ssdMatchBoxes(Tensor.of(q, m, n), 0.5f).toIntArray(),
          Matching.ssdMatchBoxes(Tensor.of(d, q, m, n), 0.5f).toIntArray(), "ssd");
    }
  }

  // ---- sampler -------------------------------------------------------------------------------

  @ParameterizedTest
  @MethodSource("devices")
  void samplerMatchesTheReferenceOfItsDefinition(Device d) {
    Devices.assumeUsable(d);
    for (String c : new String[] {"sample_seed0", "sample_seed42", "sample_seed153"}) {
      int[] sv = ints(c, "seed");
      long seed = ((long) sv[1] << 32) | (sv[0] & 0xFFFFFFFFL);
      try (Scope s = Scope.open()) {
        Tensor[] r = Matching.samplePosNeg(golden(d, c, "matched_idxs"), ints(c, "batch")[0],
            floats(c, "fraction")[0], seed);
        assertArrayEquals(bytes(c, "pos_mask"), r[0].toByteArray(), c + " pos");
        assertArrayEquals(bytes(c, "neg_mask"), r[1].toByteArray(), c + " neg");
      }
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void samplerPropertiesAndDeterminism(Device d) {
    Devices.assumeUsable(d);
    Random rnd = new Random(42);
    int rows = 3;
    int n = 30_000;
    int[] labels = new int[rows * n];
    for (int i = 0; i < labels.length; i++) {
      int r = rnd.nextInt(100);
      labels[i] = r < 2 ? 1 + rnd.nextInt(5) : (r < 10 ? -1 : 0); // ~2% positive, ~8% ignored
    }
    for (int i = 2 * n; i < 2 * n + 100; i++) {
      labels[i] = 1; // row 2 has >= 100 positives
    }
    try (Scope s = Scope.open()) {
      Tensor t = Tensor.of(d, labels, rows, n);
      Tensor[] a = Matching.samplePosNeg(t, 256, 0.5, 7);
      byte[] pos = a[0].toByteArray();
      byte[] neg = a[1].toByteArray();
      for (int b = 0; b < rows; b++) {
        int npos = 0;
        int nneg = 0;
        int spos = 0;
        int sneg = 0;
        for (int i = b * n; i < (b + 1) * n; i++) {
          npos += labels[i] >= 1 ? 1 : 0;
          nneg += labels[i] == 0 ? 1 : 0;
          if (pos[i] == 1) {
            assertTrue(labels[i] >= 1, "only positives are sampled as positive");
            spos++;
          }
          if (neg[i] == 1) {
            assertEquals(0, labels[i], "only negatives are sampled as negative");
            sneg++;
          }
          assertTrue(pos[i] == 0 || pos[i] == 1);
        }
        assertEquals(Math.min(npos, 128), spos, "row " + b + " positives");
        assertEquals(Math.min(nneg, 256 - spos), sneg, "row " + b + " negatives");
      }
      Tensor[] again = Matching.samplePosNeg(t, 256, 0.5, 7);
      assertArrayEquals(pos, again[0].toByteArray(), "same seed, same sample");
      assertArrayEquals(neg, again[1].toByteArray(), "same seed, same sample");
      Tensor[] other = Matching.samplePosNeg(t, 256, 0.5, 8);
      assertFalse(Arrays.equals(neg, other[1].toByteArray()), "another seed, another sample");
      Tensor[] cpu = Matching.samplePosNeg(Tensor.of(labels, rows, n), 256, 0.5, 7);
      assertArrayEquals(cpu[0].toByteArray(), pos, "same result as the CPU");
      assertArrayEquals(cpu[1].toByteArray(), neg, "same result as the CPU");
      // a single image as a 1-D tensor is row 0 of the batch
      Tensor[] one = Matching.samplePosNeg(Tensor.of(d, Arrays.copyOf(labels, n), n), 256, 0.5, 7);
      assertArrayEquals(Arrays.copyOf(pos, n), one[0].toByteArray(), "1-D input = row 0");
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void samplerEdgeCases(Device d) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      Tensor t = Tensor.of(d, new int[] {1, 0, -1, 2, 0, 0}, 6);
      Tensor[] none = Matching.samplePosNeg(t, 0, 0.5, 1);
      assertArrayEquals(new byte[6], none[0].toByteArray(), "batch 0 takes nothing");
      assertArrayEquals(new byte[6], none[1].toByteArray());
      Tensor[] all = Matching.samplePosNeg(t, 100, 0.5, 1);
      assertArrayEquals(new byte[] {1, 0, 0, 1, 0, 0}, all[0].toByteArray(), "few candidates: all of them");
      assertArrayEquals(new byte[] {0, 1, 0, 0, 1, 1}, all[1].toByteArray());
      Tensor[] negOnly = Matching.samplePosNeg(t, 2, 0.0, 1);
      assertArrayEquals(new byte[6], negOnly[0].toByteArray(), "fraction 0: no positives");
      int sneg = 0;
      for (byte b : negOnly[1].toByteArray()) {
        sneg += b;
      }
      assertEquals(2, sneg);
      Tensor[] ignored = Matching.samplePosNeg(Tensor.of(d, new int[] {-1, -2, -1}, 3), 256, 0.5, 1);
      assertArrayEquals(new byte[3], ignored[0].toByteArray());
      assertArrayEquals(new byte[3], ignored[1].toByteArray());
      assertEquals(0, Matching.samplePosNeg(Tensor.of(d, new int[0], 2, 0), 256, 0.5, 1)[0].numel());
    }
  }

  @Test
  void samplerIsUniform() {
    // 10 positives, 5 drawn per seed, 4000 seeds: each is drawn 2000 times on average (sd ~32)
    int[] labels = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
    int[] hits = new int[10];
    try (Scope s = Scope.open()) {
      Tensor t = Tensor.of(labels, labels.length);
      for (long seed = 0; seed < 4000; seed++) {
        byte[] pos = Matching.samplePosNeg(t, 10, 0.5, seed)[0].toByteArray();
        for (int i = 0; i < 10; i++) {
          hits[i] += pos[i];
        }
      }
    }
    for (int i = 0; i < 10; i++) {
      assertTrue(Math.abs(hits[i] - 2000) < 200, "positive " + i + " drawn " + hits[i] + " times of 4000");
    }
  }

  // ---- hard negative mining ------------------------------------------------------------------

  @ParameterizedTest
  @MethodSource("devices")
  void hardNegativeMiningMatchesTheReference(Device d) {
    Devices.assumeUsable(d);
    for (String c : new String[] {"hnm_3_0", "hnm_0_5", "hnm_2_5", "hnm_all_negatives"}) {
      try (Scope s = Scope.open()) {
        Tensor[] r = Matching.hardNegativeMining(golden(d, c, "loss"), golden(d, c, "labels"), floats(c, "ratio")[0]);
        assertArrayEquals(bytes(c, "mask"), r[0].toByteArray(), c + " mask");
        assertArrayEquals(bytes(c, "neg_mask"), r[1].toByteArray(), c + " neg_mask");
      }
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void hardNegativeMiningOddCases(Device d) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      Tensor loss = Tensor.of(d, new float[] {5, 4, 4, 3, 4, 1}, 6);
      // one positive (index 3) -> 3 negatives: 5 and the first two 4s (ties to the smaller index)
      Tensor[] r = Matching.hardNegativeMining(loss, Tensor.of(d, new int[] {0, 0, 0, 1, 0, 0}, 6), 3f);
      assertArrayEquals(new byte[] {1, 1, 1, 1, 0, 0}, r[0].toByteArray());
      assertArrayEquals(new byte[] {1, 1, 1, 0, 0, 0}, r[1].toByteArray());
      // no positives: nothing kept
      Tensor[] z = Matching.hardNegativeMining(loss, Tensor.of(d, new int[6], 6), 3f);
      assertArrayEquals(new byte[6], z[0].toByteArray());
      // ignored anchors are neither positive nor negative
      Tensor[] ig = Matching.hardNegativeMining(loss, Tensor.of(d, new int[] {-1, -1, 0, 2, 0, -1}, 6), 1.5f);
      assertArrayEquals(new byte[] {0, 0, 1, 1, 1, 0}, ig[0].toByteArray());
      assertEquals(0, Matching.hardNegativeMining(Tensor.of(d, new float[0], 0), Tensor.of(d, new int[0], 0), 3f)[0]
          .numel());
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void hardNegativeMiningAgreesWithTheCpuOnManyTies(Device d) {
    Devices.assumeUsable(d);
    Random rnd = new Random(43);
    int rows = 4;
    int n = 8732; // SSD300's default boxes
    float[] loss = new float[rows * n];
    int[] labels = new int[rows * n];
    for (int i = 0; i < loss.length; i++) {
      loss[i] = rnd.nextInt(50) / 10f; // 50 distinct values: the k-th is always tied
      labels[i] = rnd.nextInt(40) == 0 ? 1 + rnd.nextInt(20) : 0;
    }
    try (Scope s = Scope.open()) {
      Tensor[] cpu = Matching.hardNegativeMining(Tensor.of(loss, rows, n), Tensor.of(labels, rows, n), 3f);
      Tensor[] dev = Matching.hardNegativeMining(Tensor.of(d, loss, rows, n), Tensor.of(d, labels, rows, n), 3f);
      assertArrayEquals(cpu[0].toByteArray(), dev[0].toByteArray());
      assertArrayEquals(cpu[1].toByteArray(), dev[1].toByteArray());
      byte[] neg = dev[1].toByteArray();
      for (int b = 0; b < rows; b++) {
        int pos = 0;
        int kept = 0;
        for (int i = b * n; i < (b + 1) * n; i++) {
          pos += labels[i] > 0 ? 1 : 0;
          kept += neg[i];
        }
        assertEquals(3 * pos, kept, "row " + b + ": 3 negatives per positive");
      }
    }
  }
}
