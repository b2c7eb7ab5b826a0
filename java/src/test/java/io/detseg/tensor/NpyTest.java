package io.detseg.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.Devices;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files under test/resources/npy were written by numpy (tools/make_npy_fixtures.py). */
class NpyTest {
  @TempDir
  Path dir;

  private static Path fixture(String name) throws URISyntaxException {
    return Path.of(NpyTest.class.getResource("/npy/" + name).toURI());
  }

  @Test
  void readsWhatNumpyWrites() throws Exception {
    try (Tensor t = Npy.read(fixture("f32_2x3.npy"))) {
      assertArrayEquals(new long[] {2, 3}, t.shape());
      assertArrayEquals(new float[] {-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f}, t.toFloatArray());
    }
    try (Tensor t = Npy.read(fixture("u8_2x2.npy"))) {
      assertEquals(DType.UINT8, t.dtype());
      assertArrayEquals(new byte[] {0, (byte) 255, (byte) 128, 7}, t.toByteArray());
    }
    try (Tensor t = Npy.read(fixture("f32_scalar.npy"))) {
      assertEquals(0, t.dim());
      assertEquals(3.5f, t.item());
    }
    try (Tensor t = Npy.read(fixture("f32_v2.npy"))) {
      assertArrayEquals(new float[] {7, 8}, t.toFloatArray());
    }
  }

  @Test
  void convertsNumpyDefaultsAndOtherByteOrders() throws Exception {
    try (Tensor t = Npy.read(fixture("f64_4.npy"))) {
      assertEquals(DType.FLOAT32, t.dtype());
      float[] v = t.toFloatArray();
      assertEquals(0.1f, v[0]);
      assertEquals(-1e10f, v[1]);
      assertEquals(Float.POSITIVE_INFINITY, v[2]);
      assertTrue(Float.isNaN(v[3]));
    }
    try (Tensor t = Npy.read(fixture("i64_3.npy"))) {
      assertArrayEquals(new int[] {-5, 0, Integer.MAX_VALUE}, t.toIntArray());
    }
    try (Tensor t = Npy.read(fixture("bool_3.npy"))) {
      assertArrayEquals(new byte[] {1, 0, 1}, t.toByteArray());
    }
    try (Tensor t = Npy.read(fixture("f32_be_3.npy"))) {
      assertArrayEquals(new float[] {1.5f, -2f, 3.25f}, t.toFloatArray());
    }
  }

  @Test
  void rejectsWhatItCannotRepresentWithClearMessages() throws Exception {
    assertMessage(fixture("f32_fortran.npy"), "Fortran order");
    assertMessage(fixture("c64_2.npy"), "expected dtype");
    assertMessage(fixture("i64_overflow.npy"), "does not fit in int32");
  }

  @Test
  void corruptFilesAreRejectedBeforeAnythingIsAllocated() throws Exception {
    byte[] good = Files.readAllBytes(fixture("f32_2x3.npy"));
    assertMessage(write("truncated.npy", Arrays.copyOf(good, good.length - 3)), "truncated");
    byte[] magic = good.clone();
    magic[1] = 'X';
    assertMessage(write("magic.npy", magic), "magic");
    assertMessage(write("short.npy", Arrays.copyOf(good, 4)), "ends early");
    byte[] version = good.clone();
    version[6] = 9;
    assertMessage(write("version.npy", version), "version");
    // A header claiming a huge shape must fail on the size check, not on an allocation.
    assertMessage(write("huge.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000, 1000), }")),
        "needs");
    assertMessage(write("neg.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 3), }")), "negative");
    assertMessage(write("noshape.npy", npy("{'descr': '<f4', 'fortran_order': False, }")), "shape");
    byte[] longHeader = good.clone();
    longHeader[8] = (byte) 0xff;
    longHeader[9] = (byte) 0xff;
    assertMessage(write("longheader.npy", longHeader), "header length");
  }

  @Test
  void writeThenReadRoundTripsEveryDtypeAndDevice() throws IOException {
    Devices.assumeUsable(Device.CUDA_SIM);
    for (Device d : new Device[] {Device.CPU, Device.CUDA_SIM}) {
      try (Tensor f = Tensor.of(d, new float[] {1, 2, 3, 4, 5, 6}, 3, 2, 1);
           Tensor i = Tensor.of(d, new int[] {-1, 2}, 2);
           Tensor b = Tensor.ofBytes(d, new byte[] {9}, 1, 1)) {
        for (Tensor t : new Tensor[] {f, i, b}) {
          Path p = dir.resolve(d + "-" + t.dtype() + ".npy");
          Npy.write(t, p);
          assertEquals(0, (Files.size(p) - t.byteSize()) % 64, "numpy aligns the data to 64 bytes");
          try (Tensor back = Npy.read(p)) {
            assertArrayEquals(t.shape(), back.shape());
            assertEquals(t.dtype(), back.dtype());
            assertArrayEquals(Files.readAllBytes(p), Files.readAllBytes(rewrite(back)));
          }
        }
      }
    }
  }

  private Path rewrite(Tensor t) throws IOException {
    Path p = Files.createTempFile(dir, "rewrite", ".npy");
    Npy.write(t, p);
    return p;
  }

  private static byte[] npy(String dict) {
    byte[] h = (dict + " ".repeat(64) + "\n").getBytes(StandardCharsets.ISO_8859_1);
    ByteBuffer b = ByteBuffer.allocate(10 + h.length + 16).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) h.length).put(h);
    return b.array();
  }

  private Path write(String name, byte[] bytes) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, bytes);
    return p;
  }

  private static void assertMessage(Path file, String fragment) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Npy.read(file).close());
    assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' lacks '" + fragment + "'");
  }
}
