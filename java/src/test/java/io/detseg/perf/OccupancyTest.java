package io.detseg.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Occupancy against cases worked out by hand (arithmetic in the comments). */
class OccupancyTest {
  private static void check(Occupancy.Result r, int blocks, int warps, String limiter) {
    assertNull(r.error(), "unexpected error: " + r.error());
    assertEquals(blocks, r.blocksPerSm(), "blocks per SM");
    assertEquals(warps, r.warpsPerSm(), "warps per SM");
    assertEquals(warps / 64.0, r.occupancy(), 1e-12);
    assertEquals(limiter, r.limiter());
  }

  @Test
  void lightKernelIsLimitedByWarps() {
    // 22 regs: 22*32 = 704 -> 768 per warp; 65536/768 = 85 -> 84 warps (granularity 4) -> 10 blocks of 8 warps.
    // warps: 64/8 = 8 blocks. smem: 0 + 1024 reserved -> 163 or 227 blocks. cap 32. -> 8 blocks, 64 warps.
    check(Occupancy.compute(Occupancy.SM_80, 22, 0, 256, 0), 8, 64, "warps");
    check(Occupancy.compute(Occupancy.SM_90, 24, 0, 256, 0), 8, 64, "warps");
  }

  @Test
  void boxIouShapeIsLimitedByRegisters() {
    // 42 regs: 1344 -> 1536 per warp; 65536/1536 = 42 -> 40 warps -> 5 blocks of 8 warps = 40 warps (62.5 %).
    check(Occupancy.compute(Occupancy.SM_80, 42, 640, 256, 0), 5, 40, "registers");
    // 128 regs: 4096 per warp -> 16 warps -> 2 blocks of 8 = 16 warps (25 %).
    check(Occupancy.compute(Occupancy.SM_90, 128, 0, 256, 0), 2, 16, "registers");
  }

  @Test
  void tiesNameEveryLimiter() {
    // 32 regs: 1024 per warp -> 64 warps -> 8 blocks of 8; warps also allow 8.
    check(Occupancy.compute(Occupancy.SM_80, 32, 0, 256, 0), 8, 64, "warps + registers");
  }

  @Test
  void sharedMemoryLimitDiffersBetweenArchitectures() {
    // block 128 (4 warps), 48 KiB dynamic: 49152 + 1024 = 50176 bytes per block (a multiple of 128).
    // sm_80: 167936 / 50176 = 3 blocks -> 12 warps; sm_90: 233472 / 50176 = 4 blocks -> 16 warps.
    // registers (32): 64 warps -> 16 blocks; warps: 16 blocks.
    check(Occupancy.compute(Occupancy.SM_80, 32, 0, 128, 48 * 1024), 3, 12, "shared memory");
    check(Occupancy.compute(Occupancy.SM_90, 32, 0, 128, 48 * 1024), 4, 16, "shared memory");
    // static + dynamic both count: 4000 + 4000 + 1024 = 9024 -> 9088 (128-byte units);
    // 167936 / 9088 = 18 blocks of 1 warp (warps would allow 64, registers 128, the cap 32).
    check(Occupancy.compute(Occupancy.SM_80, 16, 4000, 32, 4000), 18, 18, "shared memory");
  }

  @Test
  void tinyBlocksAreLimitedByTheBlockCap() {
    // 1 warp per block, 16 regs (512 per warp -> 128 warps): warps 64, regs 128, smem 164 -> cap 32 blocks = 32 warps.
    check(Occupancy.compute(Occupancy.SM_80, 16, 0, 32, 0), 32, 32, "blocks");
    // 48 threads still take 2 warps: 64/2 = 32 blocks = 64 warps, the cap ties.
    check(Occupancy.compute(Occupancy.SM_80, 16, 0, 48, 0), 32, 64, "warps + blocks");
  }

  @Test
  void impossibleLaunchesAreReported() {
    // 255 regs: 8160 -> 8192 per warp x 32 warps = 262144 > 65536 registers per block.
    assertTrue(Occupancy.compute(Occupancy.SM_80, 255, 0, 1024, 0).error().contains("registers"));
    assertTrue(Occupancy.compute(Occupancy.SM_80, 32, 0, 2048, 0).error().contains("threads"));
    assertTrue(Occupancy.compute(Occupancy.SM_80, 32, 0, 256, 164 * 1024).error().contains("shared memory"));
    assertNull(Occupancy.compute(Occupancy.SM_90, 32, 0, 256, 164 * 1024).error(), "sm_90 allows 227 KiB per block");
    assertEquals(0, Occupancy.compute(Occupancy.SM_80, 300, 0, 32, 0).blocksPerSm());
  }
}
