package io.detseg.ops.registry;

/**
 * A named op parameter as the command line gives it: text, parsed by type. A null default means the
 * parameter is required.
 */
public record ParamSpec(String name, Type type, String defaultValue, String doc) {
  /** How the text of a parameter is parsed; lists are comma-separated. */
  public enum Type { INT, FLOAT, BOOL, STRING, INT_LIST, FLOAT_LIST }

  public String describe() {
    return name + " (" + type.name().toLowerCase().replace('_', ' ') + ", "
        + (defaultValue == null ? "required" : "default " + defaultValue) + "): " + doc;
  }
}
