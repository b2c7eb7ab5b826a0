package io.detseg.backend;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.tensor.Device;
import io.detseg.testing.ConvGoldenCases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CPU conv family's direct paths with each instruction set's kernels (SSE2, AVX2, AVX-512; the
 * ones this CPU has), against PyTorch goldens: every micro-kernel, packer and depthwise variant is
 * exercised, not only the one run-time dispatch picks on this machine.
 */
class CpuConvIsaTest {
  @AfterEach
  void restore() {
    CpuConvKernels.forceWinogradForTesting("auto");
    assertTrue(CpuConvKernels.forceInstructionSetForTesting("auto"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"scalar", "avx2", "avx512"})
  void goldensHoldWithEveryInstructionSet(String isa) {
    if (!CpuConvKernels.forceInstructionSetForTesting(isa)) {
      System.out.println("[detseg tests] CPU conv kernels for " + isa + " not run: this CPU lacks " + isa);
      return;
    }
    assertTrue(CpuConvKernels.kernelName().startsWith(isa), CpuConvKernels.kernelName());
    CpuConvKernels.forceWinogradForTesting("off");  // the direct paths; CpuWinogradTest has the other
    // implicit GEMM with stride/dilation/groups, channels off the tiles, depthwise variants (the
    // stride-1 column plan, its too-wide fallback), 1x1, the stride-2 row-panel packer, strided data
    // gradients (kernel == stride: the phases share one GEMM over stacked weights), linear tile edges
    for (String name : new String[] {"grouped_strided_dilated", "channels_33_35", "depthwise_mult2_s2_d2", "depthwise",
        "depthwise_wide_d2", "depthwise_1x7_wide_fallback", "strided_wide_s2", "pointwise", "t_basic_s2_op1", "t_k2_s2",
        "wide_cout_136_s2",
        "linear_tile_edges"}) {
      ConvGoldenCases.check(Device.CPU, ConvGoldenCases.named(name));
    }
  }
}
