package dev.mlscale.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class QuantitiesTest {
  @Test
  void memoryReadsKubernetesQuantities() {
    assertThat(MemorySize.parse("512Mi").bytes()).isEqualTo(512L << 20);
    assertThat(MemorySize.parse("1.5Gi").bytes()).isEqualTo(3L << 29);
    assertThat(MemorySize.parse("2G").bytes()).isEqualTo(2_000_000_000L);
    assertThat(MemorySize.parse(1024).toQuantity()).isEqualTo("1Ki");
    assertThat(MemorySize.parse("3Gi").times(2).toQuantity()).isEqualTo("6Gi");
    assertThatThrownBy(() -> MemorySize.parse("lots")).hasMessageContaining("512Mi, 4Gi");
  }

  @Test
  void cpuReadsCoresAndMillicores() {
    assertThat(CpuQuantity.parse("500m").millis()).isEqualTo(500);
    assertThat(CpuQuantity.parse(1.2).toQuantity()).isEqualTo("1200m");
    assertThat(CpuQuantity.parse(2).toQuantity()).isEqualTo("2");
    assertThatThrownBy(() -> CpuQuantity.parse("0")).hasMessageContaining("more than 0");
  }

  @Test
  void durationsReadCompoundUnits() {
    assertThat(DurationValue.parse("1h30m").duration()).isEqualTo(Duration.ofMinutes(90));
    assertThat(DurationValue.parse("250ms").duration()).isEqualTo(Duration.ofMillis(250));
    assertThat(DurationValue.parse(90).toString()).isEqualTo("1m30s");
    assertThatThrownBy(() -> DurationValue.parse("10 minutes")).hasMessageContaining("90s, 30m");
  }

  @Test
  void retryBackoffDoublesUpToTheMax() {
    Retries r = new Retries(5, null, DurationValue.parse("1s"), DurationValue.parse("3s"), null);
    assertThat(r.delayBefore(2)).isEqualTo(Duration.ofSeconds(1));
    assertThat(r.delayBefore(3)).isEqualTo(Duration.ofSeconds(2));
    assertThat(r.delayBefore(4)).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void onOomStopsAtItsMax() {
    OnOom o = new OnOom(2, MemorySize.parse("1Gi"));
    assertThat(o.next(MemorySize.parse("300Mi")).toQuantity()).isEqualTo("600Mi");
    assertThat(o.next(MemorySize.parse("600Mi")).toQuantity()).isEqualTo("1Gi");
    assertThat(o.next(MemorySize.parse("1Gi"))).isNull();
  }
}
