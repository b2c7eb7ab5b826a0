package io.detseg.ops.registry;

/** Registers the nms op family with `detseg op`. */
final class NmsOpsRegistration {
  private NmsOpsRegistration() {}

  static void registerAll() {
  }
}
