package dev.mlscale.cli;

import java.util.Map;

/** Terminal colours, used only when stdout is a terminal and NO_COLOR is not set. */
public record Style(boolean color) {
  static Style detect(Map<String, String> env) {
    boolean tty = System.console() != null && !"dumb".equals(env.get("TERM"));
    return new Style(tty && !env.containsKey("NO_COLOR") && !env.containsKey("CI"));
  }

  String green(String s) {
    return wrap("32", s);
  }

  String red(String s) {
    return wrap("31", s);
  }

  String yellow(String s) {
    return wrap("33", s);
  }

  String dim(String s) {
    return wrap("2", s);
  }

  String bold(String s) {
    return wrap("1", s);
  }

  private String wrap(String code, String s) {
    return color ? "\u001b[" + code + "m" + s + "\u001b[0m" : s;
  }
}
