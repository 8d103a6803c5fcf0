package dev.mlscale.plan;

import dev.mlscale.error.UserError;
import dev.mlscale.spec.Setup;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Where pip finds packages when a job's environment is built on the cluster: the spec's {@code
 * setup.index_url} and {@code setup.extra_index_urls}, else the user's own pip configuration, as
 * pip itself would read it on this machine ({@code PIP_INDEX_URL}, {@code PIP_EXTRA_INDEX_URL},
 * {@code PIP_CONFIG_FILE}, then {@code /etc/pip.conf}, {@code ~/.config/pip/pip.conf}, {@code
 * ~/.pip/pip.conf}; later ones win). Locally pip reads that configuration by itself.
 */
public record PipSources(String indexUrl, List<String> extraIndexUrls, String origin) {
  public static final PipSources NONE = new PipSources(null, List.of(), "pip's default");

  public PipSources {
    extraIndexUrls = extraIndexUrls == null ? List.of() : List.copyOf(extraIndexUrls);
  }

  /** The sources a setup uses on the cluster: the spec's own, else these. */
  public PipSources effective(Setup setup) {
    if (setup.indexUrl() != null || !setup.extraIndexUrls().isEmpty()) {
      return new PipSources(setup.indexUrl(), setup.extraIndexUrls(), "the spec");
    }
    return this;
  }

  /** The user's pip configuration, read from the environment and pip's configuration files. */
  public static PipSources fromUser(Map<String, String> env) {
    String home = env.getOrDefault("HOME", System.getProperty("user.home"));
    String xdg = env.getOrDefault("XDG_CONFIG_HOME", home + "/.config");
    List<Path> files = new ArrayList<>();
    files.add(Path.of("/etc/pip.conf"));
    files.add(Path.of(xdg, "pip", "pip.conf"));
    files.add(Path.of(home, ".pip", "pip.conf"));
    if (env.containsKey("PIP_CONFIG_FILE")) {
      files.add(Path.of(env.get("PIP_CONFIG_FILE")));
    }
    String index = null;
    List<String> extra = List.of();
    String origin = "pip's default";
    for (Path f : files) {
      Map<String, String> global = globalSection(f);
      if (global.containsKey("index-url")) {
        index = global.get("index-url");
        origin = f.toString();
      }
      if (global.containsKey("extra-index-url")) {
        extra = words(global.get("extra-index-url"));
        origin = f.toString();
      }
    }
    if (env.containsKey("PIP_INDEX_URL")) {
      index = env.get("PIP_INDEX_URL");
      origin = "PIP_INDEX_URL";
    }
    if (env.containsKey("PIP_EXTRA_INDEX_URL")) {
      extra = words(env.get("PIP_EXTRA_INDEX_URL"));
      origin = "PIP_EXTRA_INDEX_URL";
    }
    for (String u : concat(index, extra)) {
      URI uri = URI.create(u);
      if (uri.getUserInfo() != null) {
        throw new UserError(
            "your pip configuration ("
                + origin
                + ") names an index with credentials in its URL; mlscale never copies"
                + " credentials into the cluster's objects: put them in a Secret with the keys"
                + " username and password and name it in setup.index_credentials, and set"
                + " setup.index_url without them");
      }
    }
    return index == null && extra.isEmpty() ? NONE : new PipSources(index, extra, origin);
  }

  private static List<String> concat(String index, List<String> extra) {
    List<String> all = new ArrayList<>();
    if (index != null) {
      all.add(index);
    }
    all.addAll(extra);
    return all;
  }

  private static List<String> words(String value) {
    return Arrays.stream(value.trim().split("\\s+")).filter(w -> !w.isEmpty()).toList();
  }

  /** The keys of the [global] section of an INI file (pip's format); none when it is absent. */
  static Map<String, String> globalSection(Path file) {
    if (!Files.isRegularFile(file)) {
      return Map.of();
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      return Map.of();
    }
    Map<String, String> out = new java.util.LinkedHashMap<>();
    boolean global = false;
    String lastKey = null;
    for (String line : lines) {
      String t = line.strip();
      if (t.isEmpty() || t.startsWith("#") || t.startsWith(";")) {
        continue;
      }
      if (t.startsWith("[")) {
        global = t.equals("[global]") || t.equals("[install]");
        lastKey = null;
        continue;
      }
      if (!global) {
        continue;
      }
      if (Character.isWhitespace(line.charAt(0)) && lastKey != null) {
        out.put(lastKey, out.get(lastKey) + " " + t); // a continuation line
        continue;
      }
      int eq = t.indexOf('=');
      if (eq > 0) {
        lastKey = t.substring(0, eq).strip().replace('_', '-');
        out.put(lastKey, t.substring(eq + 1).strip());
      }
    }
    return out;
  }
}
