package dev.mlscale.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.PrintStream;

/** {@code -o table|json|yaml}: how a command prints what it found. */
public enum OutputFormat {
  TABLE,
  JSON,
  YAML;

  private static final ObjectMapper JSON_MAPPER =
      JsonMapper.builder()
          .addModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .enable(SerializationFeature.INDENT_OUTPUT)
          .build();
  private static final ObjectMapper YAML_MAPPER =
      YAMLMapper.builder()
          .addModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
          .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
          .build();

  /** Prints {@code value} as JSON or YAML; returns false for TABLE. */
  boolean print(PrintStream out, Object value) {
    try {
      switch (this) {
        case JSON -> out.println(JSON_MAPPER.writeValueAsString(value));
        case YAML -> out.print(YAML_MAPPER.writeValueAsString(value));
        default -> {
          return false;
        }
      }
      return true;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
