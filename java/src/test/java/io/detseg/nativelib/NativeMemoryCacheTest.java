package io.detseg.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Large host blocks (1 MiB and up) are kept after free and handed to the next request of about the same
 * size, so ops called in a loop do not page-fault their outputs in anew; the cache is bounded. Sizes
 * are odd (37 MiB) so that a block another test's tensor returns through its Cleaner meanwhile cannot
 * be the one taken.
 */
class NativeMemoryCacheTest {
  private static final long MIB = 1L << 20;

  @Test
  void aFreedLargeBlockIsReusedForTheNextRequestOfItsSize() {
    // The cache is process-wide and bounded: after other tests have filled it, the largest cached block
    // (this one) would be evicted at once. Start from an empty cache.
    NativeMemory.trimCache();
    long a = NativeMemory.allocate(37 * MIB + 100);
    assertEquals(0, a % NativeMemory.ALIGNMENT, "alignment");
    NativeMemory.fill(a, (byte) 7, 37 * MIB + 100);  // the whole block is writable
    long before = NativeMemory.cachedBytes();
    NativeMemory.free(a);
    assertTrue(NativeMemory.cachedBytes() >= before + 37 * MIB, "released block cached");
    long b = NativeMemory.allocate(37 * MIB);
    assertEquals(a, b, "same block handed out again");
    NativeMemory.free(b);
    // a request much smaller than the cached block does not take it (at most a quarter wasted)
    long c = NativeMemory.allocate(5 * MIB);
    assertNotEquals(b, c, "a 5 MiB request must not take the 37 MiB block");
    NativeMemory.free(c);
  }

  @Test
  void blocksOfTwoMibAndUpStartOnAHugePageBoundary() {
    // (transparent huge pages can only back whole, aligned 2 MiB pages of a block; 4 KiB-aligned
    // tensors of 2-4 MiB had none)
    for (long bytes : new long[] {2 * MIB, 3 * MIB + 12345, 41 * MIB + 7}) {
      long a = NativeMemory.allocate(bytes);
      assertEquals(0, a % (2 * MIB), bytes + " bytes at " + Long.toHexString(a));
      NativeMemory.fill(a, (byte) 3, bytes);  // the whole block is writable
      NativeMemory.free(a);
    }
  }

  @Test
  void smallBlocksBypassTheCache() {
    long before = NativeMemory.cachedBytes();
    long a = NativeMemory.allocate(4096);
    NativeMemory.free(a);
    assertEquals(before, NativeMemory.cachedBytes(), "small blocks go back to malloc");
  }

  @Test
  void theCacheIsBoundedAndTrims() {
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
    assertTrue(NativeMemory.cachedBytes() + 190 * MIB <= cached, "trim returned the cached blocks");
  }
}
