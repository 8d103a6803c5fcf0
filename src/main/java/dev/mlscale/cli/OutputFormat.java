package dev.mlscale.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.PrintStream;
import java.math.BigDecimal;

/** {@code -o table|json|yaml}: how a command prints what it found. */
public enum OutputFormat {
  TABLE,
  JSON,
  YAML;

  /**
   * Doubles in full precision but without an exponent, as a person writes them: {@code 0.0001}, not
   * {@code 1.0E-4}.
   */
  static final SimpleModule PLAIN_NUMBERS = plainNumbers();

  private static SimpleModule plainNumbers() {
    StdSerializer<Double> plain =
        new StdSerializer<>(Double.class) {
          @Override
          public void serialize(Double v, JsonGenerator gen, SerializerProvider p)
              throws java.io.IOException {
            gen.writeNumber(plain(v));
          }
        };
    return new SimpleModule().addSerializer(Double.class, plain).addSerializer(double.class, plain);
  }

  /**
   * The mappers, made on first use: building them costs tens of milliseconds at start, and picocli
   * makes every subcommand's options (so this enum) even for a command that prints no JSON.
   */
  private static final class Mappers {
    static final ObjectMapper JSON =
        JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .addModule(PLAIN_NUMBERS)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();
    static final ObjectMapper YAML =
        YAMLMapper.builder()
            .addModule(new JavaTimeModule())
            .addModule(PLAIN_NUMBERS)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .build();
  }

  /** A double's shortest exact text without an exponent; whole values keep their ".0". */
  static String plain(double v) {
    String s = Double.toString(v);
    if (!Double.isFinite(v) || !s.contains("E")) {
      return s;
    }
    String p = new BigDecimal(s).toPlainString();
    return p.contains(".") ? p : p + ".0";
  }

  /** Prints {@code value} as JSON or YAML; returns false for TABLE. */
  boolean print(PrintStream out, Object value) {
    try {
      switch (this) {
        case JSON -> out.println(Mappers.JSON.writeValueAsString(value));
        case YAML -> out.print(Mappers.YAML.writeValueAsString(value));
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
