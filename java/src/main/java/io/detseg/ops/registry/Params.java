package io.detseg.ops.registry;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Parameter values of one op call, parsed from text with the op's {@link ParamSpec}s. */
public final class Params {
  private final String op;
  private final Map<String, ParamSpec> specs = new LinkedHashMap<>();
  private final Map<String, String> values = new LinkedHashMap<>();

  public Params(String op, List<ParamSpec> specs, Map<String, String> given) {
    this.op = op;
    for (ParamSpec s : specs) {
      this.specs.put(s.name(), s);
    }
    for (Map.Entry<String, String> e : given.entrySet()) {
      if (!this.specs.containsKey(e.getKey())) {
        throw new IllegalArgumentException(op + ": unknown parameter '" + e.getKey() + "'; expected one of "
            + this.specs.keySet());
      }
      values.put(e.getKey(), e.getValue());
    }
    for (ParamSpec s : specs) {
      if (!values.containsKey(s.name())) {
        if (s.defaultValue() == null) {
          throw new IllegalArgumentException(op + ": parameter '" + s.name() + "' is required (" + s.doc() + ")");
        }
        values.put(s.name(), s.defaultValue());
      }
      parse(s, values.get(s.name())); // fail early, before any tensor is touched
    }
  }

  public int getInt(String name) {
    return (Integer) parse(spec(name, ParamSpec.Type.INT), values.get(name));
  }

  public float getFloat(String name) {
    return (Float) parse(spec(name, ParamSpec.Type.FLOAT), values.get(name));
  }

  public boolean getBool(String name) {
    return (Boolean) parse(spec(name, ParamSpec.Type.BOOL), values.get(name));
  }

  public String getString(String name) {
    return (String) parse(spec(name, ParamSpec.Type.STRING), values.get(name));
  }

  public int[] getIntList(String name) {
    return (int[]) parse(spec(name, ParamSpec.Type.INT_LIST), values.get(name));
  }

  public float[] getFloatList(String name) {
    return (float[]) parse(spec(name, ParamSpec.Type.FLOAT_LIST), values.get(name));
  }

  private ParamSpec spec(String name, ParamSpec.Type type) {
    ParamSpec s = specs.get(name);
    if (s == null || s.type() != type) {
      throw new IllegalStateException(op + ": no " + type + " parameter named " + name);
    }
    return s;
  }

  private Object parse(ParamSpec s, String text) {
    String t = text.trim();
    try {
      switch (s.type()) {
        case INT:
          return Integer.parseInt(t);
        case FLOAT:
          return Float.parseFloat(t);
        case BOOL:
          String b = t.toLowerCase(Locale.ROOT);
          if (!b.equals("true") && !b.equals("false")) {
            throw new NumberFormatException();
          }
          return b.equals("true");
        case INT_LIST:
          return Arrays.stream(t.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
        case FLOAT_LIST:
          String[] parts = t.split(",");
          float[] f = new float[parts.length];
          for (int i = 0; i < parts.length; i++) {
            f[i] = Float.parseFloat(parts[i].trim());
          }
          return f;
        default:
          return t;
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(op + ": parameter '" + s.name() + "': expected "
          + s.type().name().toLowerCase().replace('_', ' ') + " but got '" + text + "'");
    }
  }
}
