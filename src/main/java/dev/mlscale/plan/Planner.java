package dev.mlscale.plan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.mlscale.error.UserError;
import dev.mlscale.spec.JobSpec;
import dev.mlscale.spec.SpecLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Turns a spec into a {@link RunPlan}: pure, apart from checking that the workdir exists. */
public final class Planner {
  private static final Pattern REF = Pattern.compile("\\$\\{params\\.([A-Za-z0-9_.-]+)}");
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

  private Planner() {}

  /** A new run id: the job name made DNS-safe plus five random characters, e.g. digits-k3x9a. */
  public static String newRunId(String name) {
    String base = name.toLowerCase().replaceAll("[^a-z0-9-]", "-").replaceAll("-+", "-");
    base = base.replaceAll("^-|-$", "");
    if (base.length() > 40) {
      base = base.substring(0, 40).replaceAll("-$", "");
    }
    StringBuilder sb = new StringBuilder(base.isEmpty() ? "run" : base).append('-');
    for (int i = 0; i < 5; i++) {
      // not SecureRandom: an id needs to differ, not to be unguessable, and seeding a
      // SecureRandom costs about 10 ms of a command's start
      sb.append(
          ALPHABET.charAt(
              java.util.concurrent.ThreadLocalRandom.current().nextInt(ALPHABET.length())));
    }
    return sb.toString();
  }

  /** One run, or one run per row of {@code spec.rows()}: run ids ID-r0, ID-r1, ... */
  public static Submission submission(String id, JobSpec spec, Path specFile) {
    if (spec.rows().isEmpty()) {
      return new Submission(id, spec, List.of(plan(id, spec, specFile)), false, 1);
    }
    List<RunPlan> runs = new ArrayList<>();
    for (int i = 0; i < spec.rows().size(); i++) {
      runs.add(plan(id + "-r" + i, spec.forRow(spec.rows().get(i)), specFile));
    }
    int parallelism = spec.parallelism() == null ? runs.size() : spec.parallelism();
    return new Submission(id, spec, runs, true, Math.min(parallelism, runs.size()));
  }

  /**
   * The rows of {@code --param-grid}: every combination of the given values, e.g. {@code
   * lr=0.1,0.01} and {@code act=relu,tanh} give four rows. Values are read as YAML scalars.
   */
  public static List<Map<String, Object>> grid(List<String> axes) {
    List<Map<String, Object>> rows = new ArrayList<>();
    rows.add(new LinkedHashMap<>());
    for (String axis : axes) {
      int eq = axis.indexOf('=');
      if (eq <= 0 || eq == axis.length() - 1) {
        throw new UserError(
            "--param-grid '"
                + axis
                + "' must look like name=v1,v2,..., e.g."
                + " --param-grid lr=0.1,0.01");
      }
      String key = axis.substring(0, eq).trim();
      List<Map<String, Object>> next = new ArrayList<>();
      for (Map<String, Object> row : rows) {
        for (String raw : axis.substring(eq + 1).split(",")) {
          Map<String, Object> r = new LinkedHashMap<>(row);
          r.put(key, scalar(raw.trim()));
          next.add(r);
        }
      }
      rows = next;
    }
    return rows;
  }

  private static Object scalar(String raw) {
    try {
      Object v =
          new com.fasterxml.jackson.dataformat.yaml.YAMLMapper().readValue(raw, Object.class);
      return v == null ? raw : v;
    } catch (JsonProcessingException e) {
      return raw;
    }
  }

  public static RunPlan plan(String runId, JobSpec spec, Path specFile) {
    Path base = specFile.toAbsolutePath().getParent();
    Path workdir = base.resolve(spec.workdir()).normalize();
    if (!Files.isDirectory(workdir)) {
      throw SpecLoader.errorAt(
          specFile,
          "/workdir",
          "workdir '"
              + spec.workdir()
              + "' is not a directory (looked at "
              + workdir
              + "); fix the path, relative to the spec file");
    }
    List<String> argv = new ArrayList<>();
    for (int i = 0; i < spec.command().size(); i++) {
      argv.add(substitute(spec.command().get(i), spec, specFile, "command", "/command/" + i));
    }
    for (int i = 0; i < spec.args().size(); i++) {
      argv.add(substitute(spec.args().get(i), spec, specFile, "args", "/args/" + i));
    }
    Map<String, String> env = new LinkedHashMap<>();
    spec.env()
        .forEach((k, v) -> env.put(k, substitute(v, spec, specFile, "env." + k, "/env/" + k)));
    String paramsJson;
    try {
      paramsJson = JSON.writeValueAsString(spec.params()) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    return new RunPlan(runId, spec, specFile, workdir, argv, env, paramsJson, spec.resources());
  }

  /**
   * Replaces each {@code ${params.NAME}} in {@code text} by that parameter's value; an unknown name
   * is reported at {@code pointer} when the spec file writes it there.
   */
  static String substitute(String text, JobSpec spec, Path specFile, String field, String pointer) {
    try {
      return substitute(text, spec.params(), field);
    } catch (UserError e) {
      throw SpecLoader.errorAt(specFile, pointer, e.detail());
    }
  }

  /**
   * Replaces each {@code ${params.NAME}} in {@code text} (null stays null); an unknown name is a
   * user error that says {@code where} it was used, e.g. "pipeline.yaml: task 'input' bucket".
   */
  public static String substitute(String text, Map<String, Object> params, String where) {
    if (text == null) {
      return null;
    }
    Matcher m = REF.matcher(text);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      String key = m.group(1);
      Object value = lookup(params, key);
      if (value == null) {
        throw new UserError(
            where
                + " uses ${params."
                + key
                + "} but params has no '"
                + key
                + "'"
                + (params.isEmpty()
                    ? "; add it under params: or pass --set params." + key + "=..."
                    : "; params has: " + String.join(", ", params.keySet())));
      }
      m.appendReplacement(sb, Matcher.quoteReplacement(render(value)));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  private static Object lookup(Map<String, Object> params, String dotted) {
    Object current = params;
    for (String part : dotted.split("\\.")) {
      if (!(current instanceof Map<?, ?> map) || !map.containsKey(part)) {
        return null;
      }
      current = map.get(part);
    }
    return current;
  }

  private static String render(Object value) {
    if (value instanceof Map<?, ?> || value instanceof List<?>) {
      try {
        return new ObjectMapper().writeValueAsString(value);
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    }
    if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      if (Double.isFinite(d)) {
        String plain = java.math.BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
        return plain.contains(".") || Math.abs(d) >= 1e15 ? plain : plain + ".0";
      }
    }
    return String.valueOf(value);
  }
}
