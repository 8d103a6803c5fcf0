package dev.mlscale.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An amount of memory, written as Kubernetes writes it: {@code 512Mi}, {@code 4Gi}, {@code 1G},
 * {@code 1500M}, or a plain number of bytes.
 */
public record MemorySize(long bytes) implements Comparable<MemorySize> {
  private static final Pattern FORMAT =
      Pattern.compile("([0-9]+(?:\\.[0-9]+)?)\\s*(Ki|Mi|Gi|Ti|k|K|M|G|T)?");

  public MemorySize {
    if (bytes <= 0) {
      throw new IllegalArgumentException("memory must be more than 0 bytes, got " + bytes);
    }
  }

  @JsonCreator
  public static MemorySize parse(Object value) {
    if (value instanceof Number n) {
      return new MemorySize(n.longValue());
    }
    String text = String.valueOf(value).trim();
    Matcher m = FORMAT.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not an amount of memory; write it like 512Mi, 4Gi or 2G");
    }
    double number = Double.parseDouble(m.group(1));
    long unit =
        switch (m.group(2) == null ? "" : m.group(2)) {
          case "Ki" -> 1L << 10;
          case "Mi" -> 1L << 20;
          case "Gi" -> 1L << 30;
          case "Ti" -> 1L << 40;
          case "k", "K" -> 1_000L;
          case "M" -> 1_000_000L;
          case "G" -> 1_000_000_000L;
          case "T" -> 1_000_000_000_000L;
          default -> 1L;
        };
    return new MemorySize(Math.round(number * unit));
  }

  public static MemorySize ofMebibytes(long mib) {
    return new MemorySize(mib << 20);
  }

  public MemorySize times(double factor) {
    return new MemorySize(Math.round(bytes * factor));
  }

  public MemorySize min(MemorySize other) {
    return compareTo(other) <= 0 ? this : other;
  }

  /** The shortest exact Kubernetes quantity for this size, e.g. {@code 512Mi}. */
  @JsonValue
  public String toQuantity() {
    String[] units = {"Ti", "Gi", "Mi", "Ki"};
    int[] shifts = {40, 30, 20, 10};
    for (int i = 0; i < units.length; i++) {
      long unit = 1L << shifts[i];
      if (bytes % unit == 0) {
        return (bytes / unit) + units[i];
      }
    }
    return Long.toString(bytes);
  }

  /** A rounded size for people, e.g. {@code 1.5 GiB}. */
  public String human() {
    return human(bytes);
  }

  public static String human(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double value = bytes;
    int i = -1;
    while (value >= 1024 && i < units.length - 1) {
      value /= 1024;
      i++;
    }
    return String.format(Locale.ROOT, value >= 100 ? "%.0f %s" : "%.1f %s", value, units[i]);
  }

  @Override
  public int compareTo(MemorySize o) {
    return Long.compare(bytes, o.bytes);
  }

  @Override
  public String toString() {
    return toQuantity();
  }
}
