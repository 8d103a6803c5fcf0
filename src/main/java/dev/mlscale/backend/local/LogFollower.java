package dev.mlscale.backend.local;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Follows a log file that a job's supervisor writes, line by line from its start, until the writer
 * has ended and every line is read: the job never writes to mlscale, so that mlscale can die
 * without the job noticing.
 */
final class LogFollower {
  private static final Duration IDLE = Duration.ofMillis(20);
  private final Path file;
  private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
  private long offset;
  private String last;
  private boolean afterCr;

  LogFollower(Path file) {
    this.file = file;
  }

  /** The writer's end: waits at most {@code d} for it, and says whether it has ended. */
  interface Writer {
    boolean awaitEnd(Duration d) throws InterruptedException;
  }

  /**
   * Hands each complete line to {@code each} until the writer has ended and the file is read to its
   * end (a last line without a newline included). Returns the last non-blank line.
   */
  String follow(Writer writer, Consumer<String> each) throws InterruptedException {
    boolean ended = false;
    while (true) {
      if (read(each) == 0) {
        if (ended) {
          break;
        }
        ended = writer.awaitEnd(IDLE); // wakes at once when the writer ends
      }
    }
    if (partial.size() > 0) {
      line(partial.toByteArray(), each);
      partial.reset();
    }
    return last;
  }

  /** Reads what is new; returns how many bytes. */
  private int read(Consumer<String> each) {
    try {
      if (!Files.exists(file)) {
        return 0;
      }
      try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
        long length = raf.length();
        if (length <= offset) {
          return 0;
        }
        raf.seek(offset);
        byte[] bytes = new byte[(int) Math.min(length - offset, 1 << 20)];
        raf.readFully(bytes);
        offset += bytes.length;
        int start = 0;
        for (int i = 0; i < bytes.length; i++) {
          // a line ends at \n, \r or \r\n, as BufferedReader reads them (progress bars use \r)
          if (bytes[i] == '\n' && afterCr && i == start) {
            start = i + 1;
          } else if (bytes[i] == '\n' || bytes[i] == '\r') {
            partial.write(bytes, start, i - start);
            line(partial.toByteArray(), each);
            partial.reset();
            start = i + 1;
          }
          afterCr = bytes[i] == '\r';
        }
        partial.write(bytes, start, bytes.length - start);
        return bytes.length;
      }
    } catch (IOException e) {
      return 0;
    }
  }

  private void line(byte[] bytes, Consumer<String> each) {
    String line = new String(bytes, StandardCharsets.UTF_8);
    if (!line.isBlank()) {
      last = line;
    }
    each.accept(line);
  }
}
