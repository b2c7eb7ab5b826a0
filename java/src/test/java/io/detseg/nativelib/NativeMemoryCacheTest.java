package io.detseg.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Large host blocks (1 MiB and up) are kept after free and handed to the next request of about the same
 * size, so ops called in a loop do not page-fault their outputs in anew; the cache is bounded.
 * (Tests in this JVM run one class at a time, so no other test allocates in between.)
 */
class NativeMemoryCacheTest {
  private static final long MIB = 1L << 20;

  @Test
  void aFreedLargeBlockIsReusedForTheNextRequestOfItsSize() {
    NativeMemory.trimCache();
    long a = NativeMemory.allocate(3 * MIB + 100);
    assertEquals(0, a % NativeMemory.ALIGNMENT, "alignment");
    NativeMemory.fill(a, (byte) 7, 3 * MIB + 100);  // the whole block is writable
    NativeMemory.free(a);
    long cached = NativeMemory.cachedBytes();
    assertTrue(cached >= 3 * MIB, "released block cached, got " + cached);
    long b = NativeMemory.allocate(3 * MIB);
    assertEquals(a, b, "same block handed out again");
    assertEquals(0, NativeMemory.cachedBytes(), "taken out of the cache");
    // a request much smaller than the cached block does not take it (at most a quarter wasted)
    NativeMemory.free(b);
    long c = NativeMemory.allocate(MIB);
    assertNotEquals(b, c, "a 1 MiB request must not take the 3 MiB block");
    NativeMemory.free(c);
    NativeMemory.trimCache();
    assertEquals(0, NativeMemory.cachedBytes());
  }

  @Test
  void smallBlocksBypassTheCache() {
    NativeMemory.trimCache();
    long a = NativeMemory.allocate(4096);
    NativeMemory.free(a);
    assertEquals(0, NativeMemory.cachedBytes(), "small blocks go back to malloc");
  }

  @Test
  void theCacheIsBounded() {
    NativeMemory.trimCache();
    List<Long> blocks = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      blocks.add(NativeMemory.allocate(8 * MIB));  // 320 MiB live
    }
    for (long b : blocks) {
      NativeMemory.free(b);
    }
    long cached = NativeMemory.cachedBytes();
    assertTrue(cached <= 256 * MIB && cached >= 200 * MIB, "cache holds at most 256 MiB, got " + cached / MIB + " MiB");
    NativeMemory.trimCache();
    assertEquals(0, NativeMemory.cachedBytes());
  }
}
