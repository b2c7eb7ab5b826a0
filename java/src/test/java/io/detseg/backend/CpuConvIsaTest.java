package io.detseg.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.ops.Conv;
import io.detseg.ops.ConvParams;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import io.detseg.testing.Goldens;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CPU conv family with each instruction set's kernels (SSE2, AVX2, AVX-512; the ones this CPU
 * has), against PyTorch goldens: every micro-kernel, packer and depthwise variant is exercised,
 * not only the one run-time dispatch picks on this machine.
 */
class CpuConvIsaTest {
  @AfterEach
  void restore() {
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
    try (Scope s = Scope.open()) {
      // implicit GEMM with stride/dilation/groups, depthwise, 1x1, strided data gradient, linear tiles
      check("grouped_strided_dilated", ConvParams.padded("conv2d", new int[] {2, 3}, new int[] {2, 1, 2, 1},
          new int[] {2, 2}, 2, null), false);
      check("channels_33_35", ConvParams.padded("conv2d", new int[] {1}, new int[] {1, 1, 1, 1}, new int[] {1}, 1,
          null), false);
      check("depthwise_mult2_s2_d2", ConvParams.padded("conv2d", new int[] {2}, new int[] {2, 2, 2, 2},
          new int[] {2}, 4, null), false);
      check("depthwise", ConvParams.padded("conv2d", new int[] {1}, new int[] {1, 1, 1, 1}, new int[] {1}, 5, null),
          false);
      check("depthwise_wide_d2", ConvParams.padded("conv2d", new int[] {1}, new int[] {1, 2, 1, 2}, new int[] {1, 2},
          3, null), false);
      check("depthwise_1x7_wide_fallback", ConvParams.padded("conv2d", new int[] {1}, new int[] {0, 3, 0, 3},
          new int[] {1}, 2, null), false);
      check("strided_wide_s2", ConvParams.padded("conv2d", new int[] {2}, new int[] {1, 1, 1, 1}, new int[] {1}, 1,
          null), false);
      check("pointwise", ConvParams.defaults(), false);
      check("t_basic_s2_op1", ConvParams.transposed("conv_transpose2d", new int[] {2}, new int[] {1}, new int[] {1}, 1,
          new int[] {1}), true);
      // kernel == stride: the phases share one GEMM over stacked weights
      check("t_k2_s2", ConvParams.transposed("conv_transpose2d", new int[] {2}, new int[] {0}, new int[] {0}, 1,
          new int[] {1}), true);
      Tensor x = Goldens.load("conv", "linear_tile_edges", "input");
      Tensor w = Goldens.load("conv", "linear_tile_edges", "weight");
      Tensor b = Goldens.load("conv", "linear_tile_edges", "bias");
      Tensor g = Goldens.load("conv", "linear_tile_edges", "grad_output");
      close("linear_tile_edges", "output", Conv.linear(x, w, b), isa);
      Conv.Grads gr = Conv.linearBackward(g, x, w, true);
      close("linear_tile_edges", "grad_input", gr.gradInput(), isa);
      close("linear_tile_edges", "grad_weight", gr.gradWeight(), isa);
      close("linear_tile_edges", "grad_bias", gr.gradBias(), isa);
    }
  }

  private static void check(String name, ConvParams p, boolean transposed) {
    Tensor x = Goldens.load("conv", name, "input");
    Tensor w = Goldens.load("conv", name, "weight");
    Tensor b = Goldens.load("conv", name, "bias");
    Tensor g = Goldens.load("conv", name, "grad_output");
    String isa = CpuConvKernels.kernelName();
    if (transposed) {
      close(name, "output", Conv.convTranspose2d(x, w, b, p, null), isa);
      Conv.Grads gr = Conv.convTranspose2dBackward(g, x, w, true, p, null);
      close(name, "grad_input", gr.gradInput(), isa);
      close(name, "grad_weight", gr.gradWeight(), isa);
      close(name, "grad_bias", gr.gradBias(), isa);
    } else {
      close(name, "output", Conv.conv2d(x, w, b, p), isa);
      Conv.Grads gr = Conv.conv2dBackward(g, x, w, true, p);
      close(name, "grad_input", gr.gradInput(), isa);
      close(name, "grad_weight", gr.gradWeight(), isa);
      close(name, "grad_bias", gr.gradBias(), isa);
    }
  }

  private static void close(String name, String what, Tensor got, String isa) {
    Tensor ref = Goldens.load("conv", name, what);
    assertArrayEquals(ref.shape(), got.shape(), name + " " + what);
    float[] e = ref.toFloatArray();
    float[] a = got.toFloatArray();
    for (int i = 0; i < e.length; i++) {
      assertTrue(Math.abs(e[i] - a[i]) <= 1e-4f + 1e-4f * Math.abs(e[i]),
          name + " " + what + " with " + isa + " at " + i + ": expected " + e[i] + " but got " + a[i]);
    }
  }
}
