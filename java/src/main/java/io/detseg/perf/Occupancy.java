package io.detseg.perf;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Theoretical occupancy of a kernel on one SM, from its ptxas figures (registers per thread, static
 * shared memory) and its launch shape (threads per block, dynamic shared memory), by the rules of
 * NVIDIA's occupancy calculator:
 * <ul>
 *   <li>warps per block = ceil(threads / 32); the warp limit is floor(max warps per SM / that);</li>
 *   <li>registers are allocated per warp in units of 256: regs per warp = ceil(regs * 32, 256);
 *       warps that fit = floor(floor(registers per SM / regs per warp), warp allocation granularity 4);
 *       the register limit is floor(those warps / warps per block);</li>
 *   <li>shared memory per block = ceil(static + dynamic + 1 KiB reserved by the runtime per block
 *       (sm_80 and later), 128); the limit is floor(shared memory per SM / that);</li>
 *   <li>at most 32 resident blocks per SM.</li>
 * </ul>
 * Active blocks = the smallest limit; occupancy = active blocks * warps per block / max warps per SM.
 */
public final class Occupancy {
  /** Per-SM limits of one architecture. */
  public record Arch(String name, int maxWarpsPerSm, int maxBlocksPerSm, int regsPerSm, int maxRegsPerBlock,
      int maxRegsPerThread, int regAllocUnit, int warpAllocGranularity, int smemPerSm, int maxSmemPerBlock,
      int smemAllocUnit, int reservedSmemPerBlock, int maxThreadsPerBlock) {}

  /** A100 class: 64K registers, 2048 threads, 32 blocks, 164 KiB shared memory per SM (163 KiB per block). */
  public static final Arch SM_80 = new Arch("sm_80", 64, 32, 65536, 65536, 255, 256, 4, 164 * 1024, 163 * 1024,
      128, 1024, 1024);
  /** H100 class: 64K registers, 2048 threads, 32 blocks, 228 KiB shared memory per SM (227 KiB per block). */
  public static final Arch SM_90 = new Arch("sm_90", 64, 32, 65536, 65536, 255, 256, 4, 228 * 1024, 227 * 1024,
      128, 1024, 1024);

  public static final Map<String, Arch> ARCHS = Map.of("sm_80", SM_80, "sm_90", SM_90);

  /**
   * The outcome: blocks and warps resident per SM, occupancy in [0, 1], what limits it ("warps",
   * "registers", "shared memory", "blocks"; several joined with " + " when tied), or an error when the
   * launch cannot run at all (then blocks is 0).
   */
  public record Result(int blocksPerSm, int warpsPerSm, double occupancy, String limiter, String error) {
    public static Result impossible(String why) {
      return new Result(0, 0, 0, "-", why);
    }
  }

  private Occupancy() {}

  public static Result compute(Arch a, int registersPerThread, int staticSmem, int threadsPerBlock, int dynamicSmem) {
    if (threadsPerBlock < 1 || threadsPerBlock > a.maxThreadsPerBlock()) {
      return Result.impossible("block of " + threadsPerBlock + " threads (1.." + a.maxThreadsPerBlock() + ")");
    }
    if (registersPerThread < 0 || registersPerThread > a.maxRegsPerThread()) {
      return Result.impossible(registersPerThread + " registers per thread (max " + a.maxRegsPerThread() + ")");
    }
    int warpsPerBlock = ceilDiv(threadsPerBlock, 32);
    int byWarps = a.maxWarpsPerSm() / warpsPerBlock;

    int byRegs = Integer.MAX_VALUE;
    if (registersPerThread > 0) {
      int regsPerWarp = ceilTo(registersPerThread * 32, a.regAllocUnit());
      if ((long) regsPerWarp * warpsPerBlock > a.maxRegsPerBlock()) {
        return Result.impossible(registersPerThread + " registers x " + threadsPerBlock
            + " threads exceed the " + a.maxRegsPerBlock() + " registers a block may use");
      }
      int warps = floorTo(a.regsPerSm() / regsPerWarp, a.warpAllocGranularity());
      byRegs = warps / warpsPerBlock;
    }

    long smemUsed = (long) staticSmem + dynamicSmem;
    if (staticSmem < 0 || dynamicSmem < 0 || smemUsed > a.maxSmemPerBlock()) {
      return Result.impossible(smemUsed + " bytes of shared memory per block (max " + a.maxSmemPerBlock() + ")");
    }
    long smemPerBlock = ceilTo(smemUsed + a.reservedSmemPerBlock(), a.smemAllocUnit());
    int bySmem = smemPerBlock == 0 ? Integer.MAX_VALUE : (int) (a.smemPerSm() / smemPerBlock);

    int byBlocks = a.maxBlocksPerSm();
    int blocks = Math.min(Math.min(byWarps, byRegs), Math.min(bySmem, byBlocks));
    List<String> limiters = new ArrayList<>();
    if (byWarps == blocks) {
      limiters.add("warps");
    }
    if (byRegs == blocks) {
      limiters.add("registers");
    }
    if (bySmem == blocks) {
      limiters.add("shared memory");
    }
    if (byBlocks == blocks) {
      limiters.add("blocks");
    }
    int warps = blocks * warpsPerBlock;
    return new Result(blocks, warps, (double) warps / a.maxWarpsPerSm(), String.join(" + ", limiters), null);
  }

  static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }

  static int ceilTo(int a, int unit) {
    return ceilDiv(a, unit) * unit;
  }

  static long ceilTo(long a, int unit) {
    return (a + unit - 1) / unit * unit;
  }

  static int floorTo(int a, int unit) {
    return a / unit * unit;
  }
}
