package io.detseg.ops.registry;

/** Registers the nn op family with `detseg op`. */
final class NnOpsRegistration {
  private NnOpsRegistration() {}

  static void registerAll() {
  }
}
