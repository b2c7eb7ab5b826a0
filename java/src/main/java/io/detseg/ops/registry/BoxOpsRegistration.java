package io.detseg.ops.registry;

/** Registers the box op family with `detseg op`. */
final class BoxOpsRegistration {
  private BoxOpsRegistration() {}

  static void registerAll() {
  }
}
