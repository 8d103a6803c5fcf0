package dev.mlscale.backend.local;

import dev.mlscale.metrics.Metric;
import dev.mlscale.metrics.MetricParser;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/** Reads the JSON lines a job appends to {@code $MLSCALE_METRICS_FILE}, each line once. */
final class MetricsFileTail {
  private final Path file;
  private final Clock clock;
  private long offset;
  private final StringBuilder partial = new StringBuilder();

  MetricsFileTail(Path file, Clock clock) {
    this.file = file;
    this.clock = clock;
  }

  /** The metrics of the complete lines written since the last call. */
  synchronized List<Metric> poll() {
    List<Metric> out = new ArrayList<>();
    try {
      if (!Files.exists(file) || Files.size(file) <= offset) {
        return out;
      }
      try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
        raf.seek(offset);
        byte[] bytes = new byte[(int) Math.min(raf.length() - offset, 1 << 20)];
        raf.readFully(bytes);
        offset += bytes.length;
        partial.append(new String(bytes, StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      return out;
    }
    int nl;
    while ((nl = partial.indexOf("\n")) >= 0) {
      String line = partial.substring(0, nl);
      partial.delete(0, nl + 1);
      out.addAll(MetricParser.parseJson(line, clock.instant()));
    }
    return out;
  }
}
