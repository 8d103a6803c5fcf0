package dev.mlscale.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FormatTest {
  @Test
  void numbersInTablesAreWrittenAsAPersonWritesThem() {
    assertThat(Format.number(1e-4)).isEqualTo("0.0001");
    assertThat(Format.number(0.00031234)).isEqualTo("0.0003123");
    assertThat(Format.number(0.96891)).isEqualTo("0.9689");
    assertThat(Format.number(1234.5678)).isEqualTo("1235");
    assertThat(Format.number(3.0)).isEqualTo("3");
    assertThat(Format.number(-2.5e-9)).isEqualTo("-2.5e-9");
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("lr", 1e-4);
    p.put("act", "tanh");
    p.put("layers", 3L);
    assertThat(Format.params(p)).isEqualTo("lr=0.0001 act=tanh layers=3");
  }

  @Test
  void jsonAndYamlNumbersHaveNoExponentAndKeepTheirPrecision() {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("lr", 1e-4);
    v.put("alpha", 1.2345678901234e-7);
    v.put("big", 1e20);
    v.put("acc", 0.9689);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    OutputFormat.JSON.print(new PrintStream(bytes, true, StandardCharsets.UTF_8), v);
    String json = bytes.toString(StandardCharsets.UTF_8);
    assertThat(json)
        .contains("\"lr\" : 0.0001")
        .contains("\"alpha\" : 0.00000012345678901234")
        .contains("\"big\" : 100000000000000000000.0")
        .contains("\"acc\" : 0.9689")
        .doesNotContain("E");
    bytes.reset();
    OutputFormat.YAML.print(new PrintStream(bytes, true, StandardCharsets.UTF_8), v);
    assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("lr: 0.0001").doesNotContain("E");
  }
}
