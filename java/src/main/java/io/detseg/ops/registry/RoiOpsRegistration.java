package io.detseg.ops.registry;

/** Registers the roi op family with `detseg op`. */
final class RoiOpsRegistration {
  private RoiOpsRegistration() {}

  static void registerAll() {
  }
}
