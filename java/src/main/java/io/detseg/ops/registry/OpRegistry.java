package io.detseg.ops.registry;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every op `detseg op` can run, by name. Op families register themselves in {@link BuiltinOps}; each
 * later op family adds its own registration class there.
 */
public final class OpRegistry {
  private static final Map<String, OpSpec> OPS = new TreeMap<>();

  static {
    BuiltinOps.registerAll();
    BoxOpsRegistration.registerAll();
    NmsOpsRegistration.registerAll();
    RoiOpsRegistration.registerAll();
    ConvOpsRegistration.registerAll();
    NnOpsRegistration.registerAll();
    LossOpsRegistration.registerAll();
  }

  private OpRegistry() {}

  static synchronized void register(OpSpec spec) {
    if (OPS.putIfAbsent(spec.name(), spec) != null) {
      throw new IllegalStateException("op registered twice: " + spec.name());
    }
  }

  public static synchronized Collection<OpSpec> all() {
    return Collections.unmodifiableCollection(new ArrayList<>(OPS.values()));
  }

  public static synchronized OpSpec get(String name) {
    OpSpec s = OPS.get(name);
    if (s == null) {
      List<String> close = new ArrayList<>();
      for (String k : OPS.keySet()) {
        if (k.contains(name) || name.contains(k)) {
          close.add(k);
        }
      }
      throw new IllegalArgumentException("op: unknown op '" + name + "'"
          + (close.isEmpty() ? "" : "; did you mean " + close + "?") + " (detseg op --list shows all)");
    }
    return s;
  }
}
