package dev.mlscale.store;

import dev.mlscale.error.EnvironmentError;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One owner for a thing that must run in one process only (a sweep): an OS file lock held for the
 * owner's life, so that of two processes that claim it at once exactly one gets it, and a claim
 * dies with its process however it dies (kill -9 included). The lock file says who holds it.
 */
public final class OwnerLock implements AutoCloseable {
  /** Who holds a lock: shown to whoever is refused. */
  public record Owner(long pid, String host, Instant since) {
    public String describe() {
      return "process " + pid + " on " + host + " (since " + since + ")";
    }
  }

  /** Locks this JVM holds: a second channel on the same file must not be opened and closed. */
  private static final Map<Path, OwnerLock> HELD = new ConcurrentHashMap<>();

  private final Path file;
  private final FileChannel channel;
  private final FileLock lock;

  private OwnerLock(Path file, FileChannel channel, FileLock lock) {
    this.file = file;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Claims {@code file} for this process; empty when another process (or another command of this
   * one) holds it.
   */
  public static Optional<OwnerLock> claim(Path file, Instant now) {
    Path key = file.toAbsolutePath().normalize();
    synchronized (HELD) {
      if (HELD.containsKey(key)) {
        return Optional.empty();
      }
      try {
        Files.createDirectories(key.getParent());
        FileChannel ch =
            FileChannel.open(
                key, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock lock = tryLock(ch);
        // a reader that probes the lock (sweep ls) holds it for an instant: when the one named in
        // the file is gone, try a little longer before refusing
        for (int i = 0; lock == null && i < 20 && !alive(read(key)) && pause(50); i++) {
          lock = tryLock(ch);
        }
        if (lock == null) {
          ch.close();
          return Optional.empty();
        }
        Owner me = new Owner(ProcessHandle.current().pid(), host(), now);
        ch.truncate(0);
        ch.write(
            ByteBuffer.wrap(
                (me.pid() + "\n" + me.host() + "\n" + me.since() + "\n")
                    .getBytes(StandardCharsets.UTF_8)),
            0);
        // no fsync: other processes read the name from the page cache at once, and after a crash
        // of the machine the lock is free whatever the file says (its owner is gone)
        OwnerLock held = new OwnerLock(key, ch, lock);
        HELD.put(key, held);
        return Optional.of(held);
      } catch (IOException e) {
        throw new EnvironmentError("cannot take the lock " + key + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * Claims {@code file} for this process, or refuses with a user error (exit 2) that names the
   * owner: "{@code what} is already running in OWNER; one process runs a {@code noun}: stop that
   * one first, or follow it with '{@code follow}'".
   */
  public static OwnerLock claimOrRefuse(
      Path file, Instant now, String what, String noun, String follow) {
    Optional<OwnerLock> lock = claim(file, now);
    if (lock.isPresent()) {
      return lock.get();
    }
    Owner o = read(file);
    for (int i = 0; i < 20 && o.pid() < 0 && pause(25); i++) { // the owner is writing its name
      o = read(file);
    }
    throw new dev.mlscale.error.UserError(
        what
            + " is already running in "
            + o.describe()
            + "; one process runs a "
            + noun
            + ": stop that one first, or follow it with '"
            + follow
            + "'");
  }

  /** Waits a moment; false when interrupted (the thread stays interrupted). */
  private static boolean pause(long millis) {
    try {
      Thread.sleep(millis);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Why the owner of a thing recorded as Running is gone ("its mlscale process 42 on box is gone");
   * empty while it lives. {@code recordedPid} is the owner the record names, for things recorded
   * before their owner took a lock.
   */
  public static Optional<String> gone(Path file, Long recordedPid) {
    if (Files.exists(file)) {
      if (holder(file).isPresent()) {
        return Optional.empty();
      }
      Owner o = read(file);
      return Optional.of("its mlscale process " + o.pid() + " on " + o.host() + " is gone");
    }
    if (recordedPid != null
        && !ProcessHandle.of(recordedPid).map(ProcessHandle::isAlive).orElse(false)) {
      return Optional.of("its mlscale process " + recordedPid + " is gone");
    }
    return Optional.empty();
  }

  private static FileLock tryLock(FileChannel ch) {
    try {
      return ch.tryLock();
    } catch (OverlappingFileLockException | IOException e) {
      return null;
    }
  }

  private static boolean alive(Owner o) {
    return !o.host().equals(host())
        || ProcessHandle.of(o.pid()).map(ProcessHandle::isAlive).orElse(false);
  }

  /** Who holds {@code file} now; empty when nobody does (its last owner ended or died). */
  public static Optional<Owner> holder(Path file) {
    Path key = file.toAbsolutePath().normalize();
    if (!Files.exists(key)) {
      return Optional.empty();
    }
    synchronized (HELD) {
      if (HELD.containsKey(key)) {
        return Optional.of(read(key));
      }
      try (FileChannel ch =
          FileChannel.open(key, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        FileLock probe;
        try {
          probe = ch.tryLock();
        } catch (OverlappingFileLockException e) {
          probe = null;
        }
        if (probe != null) {
          probe.release();
          return Optional.empty();
        }
        return Optional.of(read(key));
      } catch (IOException e) {
        return Optional.empty();
      }
    }
  }

  /** What the lock file says about its last owner. */
  public static Owner read(Path file) {
    try {
      String[] lines = Files.readString(file).split("\n");
      return new Owner(Long.parseLong(lines[0].strip()), lines[1].strip(), Instant.parse(lines[2]));
    } catch (IOException | RuntimeException e) {
      return new Owner(-1, "an unknown host", Instant.EPOCH);
    }
  }

  static String host() {
    String h = System.getenv("HOSTNAME");
    if (h != null && !h.isBlank()) {
      return h;
    }
    try {
      return Files.readString(Path.of("/etc/hostname")).strip();
    } catch (IOException e) {
      try {
        return java.net.InetAddress.getLocalHost().getHostName();
      } catch (IOException e2) {
        return "localhost";
      }
    }
  }

  @Override
  public void close() {
    synchronized (HELD) {
      HELD.remove(file);
      try {
        lock.release();
        channel.close();
      } catch (IOException e) {
        // the lock goes with the channel
      }
    }
  }
}
