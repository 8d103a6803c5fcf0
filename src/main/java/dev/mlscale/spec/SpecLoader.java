package dev.mlscale.spec;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.mlscale.error.SourcePosition;
import dev.mlscale.error.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads YAML specs into immutable records. Every mistake becomes a {@link UserError} that names the
 * file, line and column, says what was expected, and how to fix it.
 */
public final class SpecLoader {
  private static final ObjectMapper MAPPER =
      YAMLMapper.builder()
          .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
          .build();

  /** A spec read from a file, with the directory its relative paths are resolved against. */
  public record Loaded<T>(T spec, Path file, Path baseDir) {}

  /** The mapper specs are read with; also used to print them back. */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /**
   * Where the field at {@code pointer} (e.g. {@code /setup/requirements}) is written in {@code
   * file}, or its nearest written ancestor; {@code file:1:1} when the file cannot be read.
   */
  public static SourcePosition positionOf(Path file, String pointer) {
    try {
      String text = Files.readString(file);
      return Locations.index(text, file.toString())
          .find(com.fasterxml.jackson.core.JsonPointer.compile(pointer), false);
    } catch (IOException | IllegalArgumentException e) {
      return new SourcePosition(file.toString(), 1, 1);
    }
  }

  /**
   * Where the field at {@code pointer} is written in {@code file}: empty when the file does not
   * write that very field (a pointer into a spec of another shape, or a file that cannot be read).
   */
  public static Optional<SourcePosition> writtenAt(Path file, String pointer) {
    try {
      return Locations.index(Files.readString(file), file.toString())
          .exact(JsonPointer.compile(pointer));
    } catch (IOException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /**
   * A mistake at the field {@code pointer} of {@code file}; when the file does not write that field
   * (a pipeline's inline task has no job file of its own), at the file.
   */
  public static UserError errorAt(Path file, String pointer, String message) {
    return writtenAt(file, pointer)
        .map(at -> new UserError(at, message))
        .orElseGet(() -> new UserError(file + ": " + message));
  }

  /** Where {@code text} first occurs in {@code file}, if it does. */
  public static java.util.Optional<SourcePosition> positionOfText(Path file, String text) {
    try {
      List<String> lines = Files.readAllLines(file);
      for (int i = 0; i < lines.size(); i++) {
        int col = lines.get(i).indexOf(text);
        if (col >= 0) {
          return java.util.Optional.of(new SourcePosition(file.toString(), i + 1, col + 1));
        }
      }
    } catch (IOException e) {
      // no position then
    }
    return java.util.Optional.empty();
  }

  public JobSpec loadJob(Path file, List<String> overrides) {
    return load(file, JobSpec.class, overrides).spec();
  }

  public <T> Loaded<T> load(Path file, Class<T> type, List<String> overrides) {
    if (Files.isDirectory(file)) {
      throw new UserError(file + " is a directory, not a spec file; name the YAML file in it");
    }
    String text;
    try {
      byte[] content = Files.readAllBytes(file);
      YamlChecks.checkBytes(content, file.toString());
      text = new String(content, java.nio.charset.StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new UserError("spec file " + file + " does not exist; check the path");
    } catch (IOException e) {
      throw new UserError("cannot read spec file " + file + ": " + e.getMessage());
    }
    Path abs = file.toAbsolutePath().normalize();
    return new Loaded<>(parse(text, file.toString(), type, overrides), abs, abs.getParent());
  }

  /** A spec file's YAML tree, with --set overrides applied, and where each key and value is. */
  record Tree(JsonNode root, Locations locations) {}

  /** Reads a spec file as a tree (for {@link FieldSupport}); the file was loaded before. */
  static Tree readTree(Path file, List<String> overrides) {
    try {
      String text = Files.readString(file);
      ObjectNode root = (ObjectNode) MAPPER.readTree(text);
      for (String override : overrides) {
        applyOverride(root, override, new LinkedHashMap<>());
      }
      return new Tree(root, Locations.index(text, file.toString()));
    } catch (IOException | ClassCastException e) {
      throw new UserError("cannot read spec file " + file + ": " + e.getMessage());
    }
  }

  /** Parses spec text; {@code fileName} is only used in messages. */
  public <T> T parse(String text, String fileName, Class<T> type, List<String> overrides) {
    YamlChecks.check(text, fileName);
    Locations locations = Locations.index(text, fileName);
    JsonNode tree;
    try {
      tree = MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw syntaxError(fileName, e);
    }
    if (tree == null || tree.isMissingNode() || tree.isNull()) {
      throw new UserError(
          new SourcePosition(fileName, 1, 1),
          "the spec is empty (it has no fields); write them, e.g. name: train and command:"
              + " [python, train.py]");
    }
    if (!tree.isObject()) {
      throw new UserError(
          new SourcePosition(fileName, 1, 1),
          "a spec is a mapping of fields (name: ..., command: ...), not " + describe(tree));
    }
    Map<String, String> applied = new LinkedHashMap<>();
    for (String override : overrides) {
      applyOverride((ObjectNode) tree, override, applied);
    }
    try {
      return MAPPER.treeToValue(tree, type);
    } catch (JsonProcessingException e) {
      throw translate(e, tree, locations, applied);
    } catch (IllegalArgumentException e) {
      throw translate(e, tree, locations, applied);
    }
  }

  private static UserError syntaxError(String fileName, JsonProcessingException e) {
    if (e.getCause() instanceof MarkedYAMLException m && m.getProblemMark() != null) {
      var mark = m.getProblemMark();
      String context = "";
      if (m.getContext() != null && m.getContextMark() != null) {
        context =
            " ("
                + m.getContext()
                + " that starts at "
                + (m.getContextMark().getLine() + 1)
                + ":"
                + (m.getContextMark().getColumn() + 1)
                + ")";
      }
      String problem =
          m.getProblem() != null && m.getProblem().contains("(TAB)")
              ? "a tab is not allowed here; indent with spaces, not tabs"
              : m.getProblem() + context;
      return new UserError(
          new SourcePosition(fileName, mark.getLine() + 1, mark.getColumn() + 1),
          "this is not valid YAML: " + problem);
    }
    return new UserError(
        position(fileName, e.getLocation()), "this is not valid YAML: " + e.getOriginalMessage());
  }

  private static void applyOverride(ObjectNode root, String override, Map<String, String> applied) {
    int eq = override.indexOf('=');
    if (eq <= 0) {
      throw new UserError(
          "--set '" + override + "' must look like key=value, e.g. --set params.lr=0.01");
    }
    String key = override.substring(0, eq).trim();
    String raw = override.substring(eq + 1);
    String[] parts = key.split("\\.");
    ObjectNode node = root;
    StringBuilder pointer = new StringBuilder();
    for (int i = 0; i < parts.length; i++) {
      String part = parts[i];
      if (part.isEmpty()) {
        throw new UserError("--set '" + override + "': the key '" + key + "' has an empty part");
      }
      pointer.append('/').append(part);
      if (i == parts.length - 1) {
        node.set(part, scalar(raw));
      } else {
        JsonNode child = node.get(part);
        if (child == null || child.isNull()) {
          child = node.putObject(part);
        }
        if (!child.isObject()) {
          throw new UserError(
              "--set '"
                  + override
                  + "': '"
                  + pointer.substring(1).replace('/', '.')
                  + "' is "
                  + describe(child)
                  + ", so it has no field '"
                  + parts[i + 1]
                  + "'");
        }
        node = (ObjectNode) child;
      }
    }
    applied.put(pointer.toString(), override);
  }

  private static JsonNode scalar(String raw) {
    try {
      JsonNode value = MAPPER.readTree(raw.isEmpty() ? "''" : raw);
      return value == null || value.isMissingNode() ? MAPPER.getNodeFactory().textNode(raw) : value;
    } catch (JsonProcessingException e) {
      return MAPPER.getNodeFactory().textNode(raw);
    }
  }

  private RuntimeException translate(
      Exception e, JsonNode tree, Locations locations, Map<String, String> applied) {
    JsonPointer path = JsonPointer.empty();
    if (e instanceof JsonMappingException jme) {
      path = pointerOf(jme.getPath());
    }
    Throwable cause = e.getCause();
    while (cause != null
        && !(cause instanceof IllegalArgumentException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    String message;
    boolean atKey = false;
    Optional<JsonPointer> unknown =
        e instanceof ValueInstantiationException vie
            ? unknownFieldFirst(vie, tree.at(path), path)
            : Optional.empty();
    if (unknown.isPresent()) {
      path = unknown.get();
      message = unknownField(path.last().getMatchingProperty(), known(e), unknown.get());
      atKey = true;
    } else if (e instanceof UnrecognizedPropertyException upe) {
      message = unknownField(upe, path);
      atKey = true;
    } else if ((e instanceof ValueInstantiationException || e instanceof IllegalArgumentException)
        && (cause instanceof IllegalArgumentException || e instanceof IllegalArgumentException)) {
      IllegalArgumentException iae =
          cause instanceof IllegalArgumentException c ? c : (IllegalArgumentException) e;
      if (iae instanceof SpecFieldException sfe) {
        path = path.append(JsonPointer.compile("/" + sfe.field()));
      }
      message = iae.getMessage();
    } else if (e instanceof com.fasterxml.jackson.databind.exc.InvalidFormatException ife
        && cause instanceof IllegalArgumentException iae) {
      message = iae.getMessage();
    } else if (e instanceof MismatchedInputException mie) {
      message = mismatch(mie, tree.at(path), path);
    } else {
      message =
          e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage();
    }
    String override = overrideFor(path, applied, atKey);
    if (override != null) {
      return new UserError("--set '" + override + "': " + message);
    }
    return new UserError(locations.find(path, atKey), message);
  }

  /**
   * The --set that wrote the field at {@code path}; with {@code unknownKey}, also the one that
   * wrote below a misspelt key (--set resourcse.cpu=2 is wrong at resourcse).
   */
  private static String overrideFor(
      JsonPointer path, Map<String, String> applied, boolean unknownKey) {
    String p = path.toString();
    for (Map.Entry<String, String> entry : applied.entrySet()) {
      if (p.equals(entry.getKey())
          || p.startsWith(entry.getKey() + "/")
          || (unknownKey && entry.getKey().startsWith(p + "/"))) {
        return entry.getValue();
      }
    }
    return null;
  }

  /**
   * Jackson builds a record before it reports unknown fields, so a misspelt required field shows up
   * first as "missing". The misspelling is the real mistake: report it instead.
   */
  private static Optional<JsonPointer> unknownFieldFirst(
      ValueInstantiationException e, JsonNode object, JsonPointer path) {
    if (e.getType() == null || !object.isObject()) {
      return Optional.empty();
    }
    List<String> known = known(e);
    for (var it = object.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      if (!known.contains(field)) {
        return Optional.of(path.appendProperty(field));
      }
    }
    return Optional.empty();
  }

  /** The fields of the record that {@code e} could not build. */
  private static List<String> known(Exception e) {
    if (!(e instanceof ValueInstantiationException vie) || vie.getType() == null) {
      return List.of();
    }
    return MAPPER.getDeserializationConfig().introspect(vie.getType()).findProperties().stream()
        .map(p -> p.getName())
        .sorted()
        .toList();
  }

  private static String unknownField(UnrecognizedPropertyException e, JsonPointer path) {
    List<String> known =
        e.getKnownPropertyIds() == null
            ? List.of()
            : e.getKnownPropertyIds().stream().map(String::valueOf).sorted().toList();
    return unknownField(e.getPropertyName(), known, path);
  }

  private static String unknownField(String field, List<String> known, JsonPointer path) {
    String where =
        path.head() == null || path.head().toString().isEmpty()
            ? "the spec"
            : "'" + dotted(path.head()) + "'";
    StringBuilder sb = new StringBuilder("unknown field '" + field + "' in " + where);
    closest(field, known).ifPresent(c -> sb.append("; did you mean '").append(c).append("'?"));
    if (!known.isEmpty()) {
      sb.append(" Known fields: ").append(String.join(", ", known));
    }
    return sb.toString();
  }

  private static String mismatch(MismatchedInputException e, JsonNode actual, JsonPointer path) {
    Class<?> target = e.getTargetType();
    String expected = expectedName(target);
    String field = path.toString().isEmpty() ? "the spec" : "'" + dotted(path) + "'";
    String got = actual == null || actual.isMissingNode() ? "something else" : describe(actual);
    return field + " must be " + expected + ", but it is " + got;
  }

  private static String expectedName(Class<?> target) {
    if (target == null) {
      return "something else";
    }
    if (Collection.class.isAssignableFrom(target) || target.isArray()) {
      return "a list, e.g. [a, b]";
    }
    if (Map.class.isAssignableFrom(target) || target.isRecord()) {
      return "a mapping of fields (key: value)";
    }
    if (target == Integer.class
        || target == int.class
        || target == Long.class
        || target == long.class) {
      return "a whole number";
    }
    if (target == Double.class || target == double.class) {
      return "a number";
    }
    if (target == Boolean.class || target == boolean.class) {
      return "true or false";
    }
    if (target == String.class) {
      return "a single value (text or number)";
    }
    return "a " + target.getSimpleName();
  }

  static String describe(JsonNode node) {
    JsonNodeType t = node.getNodeType();
    return switch (t) {
      case ARRAY -> "a list";
      case OBJECT -> "a mapping";
      case NUMBER -> "the number " + node.asText();
      case BOOLEAN -> node.asText();
      case NULL -> "empty";
      case STRING -> "the text '" + node.asText() + "'";
      default -> t.name().toLowerCase();
    };
  }

  private static JsonPointer pointerOf(List<JsonMappingException.Reference> refs) {
    JsonPointer p = JsonPointer.empty();
    for (JsonMappingException.Reference ref : refs) {
      if (ref.getFieldName() != null) {
        p = p.appendProperty(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        p = p.appendIndex(ref.getIndex());
      }
    }
    return p;
  }

  static String dotted(JsonPointer p) {
    return p.toString().substring(Math.min(1, p.toString().length())).replace('/', '.');
  }

  static Optional<String> closest(String word, Collection<String> candidates) {
    return candidates.stream()
        .filter(c -> distance(word, c) <= Math.max(1, Math.min(3, c.length() / 3)))
        .min(Comparator.comparingInt(c -> distance(word, c)));
  }

  /** Edits from {@code a} to {@code b}; swapping two neighbouring letters is one edit. */
  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      for (int j = 0; j <= b.length(); j++) {
        if (i == 0 || j == 0) {
          d[i][j] = i + j;
          continue;
        }
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1
            && j > 1
            && a.charAt(i - 1) == b.charAt(j - 2)
            && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }

  private static SourcePosition position(String file, JsonLocation loc) {
    if (loc == null || loc.getLineNr() < 1) {
      return new SourcePosition(file, 1, 1);
    }
    return new SourcePosition(file, loc.getLineNr(), Math.max(1, loc.getColumnNr()));
  }

  /** Where each key and value of a YAML document starts, by JSON pointer. */
  static final class Locations {
    private final String file;
    private final Map<String, SourcePosition> keys = new HashMap<>();
    private final Map<String, SourcePosition> values = new HashMap<>();

    private Locations(String file) {
      this.file = file;
    }

    static Locations index(String text, String file) {
      Locations l = new Locations(file);
      try (JsonParser p = new YAMLFactory().createParser(text)) {
        JsonToken t;
        while ((t = p.nextToken()) != null) {
          SourcePosition pos = position(file, p.currentTokenLocation());
          if (t == JsonToken.FIELD_NAME) {
            l.keys.putIfAbsent(p.getParsingContext().pathAsPointer().toString(), pos);
          } else if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
            var parent = p.getParsingContext().getParent();
            String ptr = parent == null ? "" : parent.pathAsPointer().toString();
            l.values.putIfAbsent(ptr, pos);
          } else if (t.isScalarValue()) {
            l.values.putIfAbsent(p.getParsingContext().pathAsPointer().toString(), pos);
          }
        }
      } catch (IOException e) {
        // The tree parse reports syntax errors with their position; the index is best effort.
      }
      return l;
    }

    /** The position of the value at {@code path} (or of its key), if it is written. */
    Optional<SourcePosition> exact(JsonPointer path) {
      String key = path.toString();
      return Optional.ofNullable(values.getOrDefault(key, keys.get(key)));
    }

    /** The position of the value at {@code path} (or its key), or of its nearest ancestor. */
    SourcePosition find(JsonPointer path, boolean preferKey) {
      JsonPointer p = path;
      while (p != null) {
        String key = p.toString();
        SourcePosition pos =
            preferKey
                ? keys.getOrDefault(key, values.get(key))
                : values.getOrDefault(key, keys.get(key));
        if (pos != null) {
          return pos;
        }
        p = p.head();
      }
      return new SourcePosition(file, 1, 1);
    }
  }

  static JsonNode missing() {
    return MissingNode.getInstance();
  }

  static String joinSorted(Collection<String> names) {
    return names.stream().sorted().collect(Collectors.joining(", "));
  }
}
