package dev.mlscale.backend.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The memory sampler's meter on real processes: a job's memory held by a child it forked, and by an
 * orphan of its group (its parent gone), is counted as a scan of all of /proc counts it.
 */
class ProcessGroupMeterTest {
  private static final String HOLD =
      "import time; x = bytearray(80 * 1024 * 1024); print('ready', flush=True); time.sleep(30)";
  private Process group;

  @AfterEach
  void stop() {
    if (group != null) {
      ProcessGroup.signalGroup(group.pid(), "KILL");
    }
  }

  /** {@code sh -c SCRIPT} leading a process group of its own (setsid execs it in place). */
  private long startGroup(String script) throws Exception {
    group =
        new ProcessBuilder(List.of("setsid", "sh", "-c", script)).redirectErrorStream(true).start();
    return group.pid();
  }

  @Test
  void countsWhatAForkedChildHolds() throws Exception {
    long pgid = startGroup("python3 -c \"" + HOLD + "\" & wait");
    ProcessGroup.Meter meter = new ProcessGroup.Meter(pgid);
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(() -> assertThat(meter.residentBytes()).isGreaterThan(80L << 20));
    assertThat(ProcessGroup.usage(pgid).processes()).isEqualTo(2);
  }

  @Test
  void findsAnOrphanOfTheGroupByItsFullScans() throws Exception {
    // the subshell exits at once: python is nobody's child in the group, but still in it
    long pgid = startGroup("(python3 -c \"" + HOLD + "\" &); sleep 30");
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> ProcessGroup.usage(pgid).residentBytes() > 80L << 20);
    ProcessGroup.Meter meter = new ProcessGroup.Meter(pgid);
    long first = meter.residentBytes(); // the leader and its children only
    assertThat(first).isLessThan(80L << 20);
    long later = 0;
    for (int i = 1; i < ProcessGroup.Meter.FULL_SCAN_EVERY; i++) {
      later = meter.residentBytes();
    }
    assertThat(later).as("the full scan found the orphan").isGreaterThan(80L << 20);
    assertThat(meter.residentBytes())
        .as("and it is followed from then on")
        .isGreaterThan(80L << 20);
  }
}
