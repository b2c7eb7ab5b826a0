package io.detseg.ops.registry;

/** Registers the loss op family with `detseg op`. */
final class LossOpsRegistration {
  private LossOpsRegistration() {}

  static void registerAll() {
  }
}
