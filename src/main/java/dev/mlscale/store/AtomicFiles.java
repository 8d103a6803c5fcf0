package dev.mlscale.store;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Files written whole or not at all: a temporary file of a unique name beside the target, then a
 * rename over it. A reader (another mlscale process, a supervisor, a job) never sees half a file,
 * and two writers of the same file cannot spoil each other's.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** Writes {@code bytes} to {@code file}, replacing what was there; the directory must exist. */
  public static void write(Path file, byte[] bytes) throws IOException {
    for (int tries = 0; ; tries++) {
      // a random name, but not from Files.createTempFile: that one seeds a SecureRandom, some 10
      // ms the first time in a process, and an attempt's files are written on the way to its job
      Path tmp =
          file.resolveSibling(
              "."
                  + file.getFileName()
                  + "."
                  + Long.toHexString(ThreadLocalRandom.current().nextLong())
                  + ".tmp");
      OutputStream out;
      try {
        out = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      } catch (FileAlreadyExistsException e) {
        if (tries < 3) {
          continue;
        }
        throw e;
      }
      try {
        try (out) {
          out.write(bytes);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return;
      } catch (IOException | RuntimeException e) {
        Files.deleteIfExists(tmp);
        throw e;
      }
    }
  }
}
