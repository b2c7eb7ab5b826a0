package io.detseg.ops.registry;

/** Registers the conv op family with `detseg op`. */
final class ConvOpsRegistration {
  private ConvOpsRegistration() {}

  static void registerAll() {
  }
}
