package dev.mlscale.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A length of time as people write it in a spec: {@code 90s}, {@code 30m}, {@code 1h30m}, {@code
 * 250ms}; a plain number means seconds.
 */
public record DurationValue(Duration duration) {
  private static final Pattern PART = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ms|s|m|h|d)");

  public DurationValue {
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException(
          "a duration must be more than zero; write it like 90s, 30m or 1h30m, e.g. 30m");
    }
  }

  @JsonCreator
  public static DurationValue parse(Object value) {
    if (value instanceof Number n) {
      return new DurationValue(Duration.ofMillis(Math.round(n.doubleValue() * 1000)));
    }
    String text = String.valueOf(value).trim();
    Matcher m = PART.matcher(text);
    Duration total = Duration.ZERO;
    int end = 0;
    while (m.find() && m.start() == end) {
      double amount = Double.parseDouble(m.group(1));
      long unitMillis =
          switch (m.group(2)) {
            case "ms" -> 1;
            case "s" -> 1_000;
            case "m" -> 60_000;
            case "h" -> 3_600_000;
            default -> 86_400_000;
          };
      total = total.plusMillis(Math.round(amount * unitMillis));
      end = m.end();
    }
    if (end == 0 || end != text.length()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a duration; write it like 90s, 30m, 1h30m or 250ms");
    }
    return new DurationValue(total);
  }

  public static DurationValue ofSeconds(long seconds) {
    return new DurationValue(Duration.ofSeconds(seconds));
  }

  public long seconds() {
    return duration.toSeconds();
  }

  @JsonValue
  @Override
  public String toString() {
    return format(duration);
  }

  /** Formats a duration compactly for people: {@code 1h2m}, {@code 3m5s}, {@code 1.2s}. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms < 1000) {
      return ms + "ms";
    }
    if (ms < 60_000) {
      return ms % 1000 == 0 ? (ms / 1000) + "s" : String.format("%.1fs", ms / 1000.0);
    }
    long s = d.toSeconds();
    StringBuilder sb = new StringBuilder();
    if (s >= 86_400) {
      sb.append(s / 86_400).append('d');
      s %= 86_400;
    }
    if (s >= 3600) {
      sb.append(s / 3600).append('h');
      s %= 3600;
    }
    if (s >= 60) {
      sb.append(s / 60).append('m');
      s %= 60;
    }
    if (s > 0) {
      sb.append(s).append('s');
    }
    return sb.toString();
  }
}
