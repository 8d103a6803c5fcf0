package dev.mlscale.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlscale.spec.DurationValue;
import dev.mlscale.spec.FailureKind;
import dev.mlscale.spec.MemorySize;
import dev.mlscale.spec.OnOom;
import dev.mlscale.spec.Retries;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class AttemptPolicyTest {
  private static final MemorySize GI = MemorySize.parse("1Gi");

  private static AttemptPolicy policy(int limit, List<Integer> failFast, OnOom onOom) {
    return new AttemptPolicy(
        new Retries(
            limit,
            java.util.Set.of(FailureKind.ERROR, FailureKind.DISRUPTION),
            DurationValue.ofSeconds(1),
            DurationValue.ofSeconds(5),
            failFast),
        onOom);
  }

  @Test
  void onOomStepsUpToItsMaxAndNoFurther() {
    AttemptPolicy p = policy(0, List.of(), new OnOom(2, MemorySize.parse("5Gi")));
    assertThat(p.memorySteps(GI).stream().map(MemorySize::toQuantity))
        .containsExactly("1Gi", "2Gi", "4Gi", "5Gi");
    assertThat(p.afterOom(GI, null)).contains(MemorySize.parse("2Gi"));
    assertThat(p.afterOom(MemorySize.parse("5Gi"), null)).isEmpty();
    // this machine has 3Gi: a step past it would never start
    assertThat(p.afterOom(MemorySize.parse("2Gi"), MemorySize.parse("3Gi"))).isEmpty();
    assertThat(p.finalMessage(FailureKind.OOM, "OOMKilled"))
        .isEqualTo("OOMKilled; on_oom reached its max of 5Gi");
  }

  @Test
  void withoutOnOomTheJobsMemoryIsTheOnlyStep() {
    AttemptPolicy p = policy(2, List.of(), null);
    assertThat(p.memorySteps(GI)).containsExactly(GI);
    assertThat(p.afterOom(GI, null)).isEmpty();
    assertThat(p.finalMessage(FailureKind.OOM, "OOMKilled")).isEqualTo("OOMKilled");
  }

  @Test
  void retriesBackOffDoublingUpToTheMaxAndStopAtTheLimit() {
    AttemptPolicy p = policy(4, List.of(2), null);
    assertThat(p.retryAfter(FailureKind.ERROR, 1, 0, 2)).contains(Duration.ofSeconds(1));
    assertThat(p.retryAfter(FailureKind.ERROR, 1, 1, 3)).contains(Duration.ofSeconds(2));
    assertThat(p.retryAfter(FailureKind.ERROR, 1, 2, 4)).contains(Duration.ofSeconds(4));
    assertThat(p.retryAfter(FailureKind.ERROR, 1, 3, 5)).contains(Duration.ofSeconds(5));
    assertThat(p.retryAfter(FailureKind.ERROR, 1, 4, 6)).isEmpty();
  }

  @Test
  void aFailFastExitCodeOrAKindNotListedIsNeverRetried() {
    AttemptPolicy p = policy(3, List.of(2), null);
    assertThat(p.retryAfter(FailureKind.ERROR, 2, 0, 2)).isEmpty();
    assertThat(p.retryAfter(FailureKind.OOM, 137, 0, 2)).isEmpty();
    assertThat(p.retryAfter(FailureKind.TIMEOUT, 0, 0, 2)).isEmpty();
    assertThat(p.retryAfter(FailureKind.DISRUPTION, 0, 0, 2)).isPresent();
  }
}
