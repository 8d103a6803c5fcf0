package dev.mlscale.backend.local;

import dev.mlscale.error.EnvironmentError;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The dependency-free Python helper {@code mlscale.py} ({@code from mlscale import report}), copied
 * out of the jar to the cache so jobs find it on {@code PYTHONPATH}.
 */
public final class PythonHelper {
  public static final String RESOURCE = "/python/mlscale.py";

  private PythonHelper() {}

  public static byte[] source() {
    try (InputStream in = PythonHelper.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + RESOURCE);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes the helper to a content-addressed directory under {@code cache}; returns the dir. */
  public static Path install(Path cache) {
    byte[] source = source();
    // a checksum, not a digest: it tells this jar's helper from other versions' (nobody makes them
    // collide on purpose), and a MessageDigest costs about 15 ms of every command's start
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(source);
    String hash = Long.toHexString(crc.getValue()) + "-" + source.length;
    Path dir = cache.resolve("python").resolve(hash);
    Path file = dir.resolve("mlscale.py");
    if (Files.exists(file)) {
      return dir;
    }
    try {
      Files.createDirectories(dir);
      dev.mlscale.store.AtomicFiles.write(file, source);
      return dir;
    } catch (IOException e) {
      throw new EnvironmentError(
          "cannot write the Python helper to "
              + dir
              + ": "
              + e.getMessage()
              + "; set MLSCALE_CACHE to a writable directory");
    }
  }
}
