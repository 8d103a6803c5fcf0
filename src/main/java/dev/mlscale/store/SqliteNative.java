package dev.mlscale.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.sqlite.SQLiteJDBCLoader;
import org.sqlite.util.LibraryLoaderUtil;

/**
 * The SQLite driver's native library, unpacked once into mlscale's cache and loaded from there.
 * Left to itself, sqlite-jdbc copies the library out of the jar into the temporary directory on
 * every start of the JVM, then compares the copy with the jar's byte by byte: a quarter of a short
 * command's CPU time. The driver loads a library named by {@code org.sqlite.lib.path} and {@code
 * org.sqlite.lib.name} instead; this puts it there, under the driver's version, atomically (a
 * reader never sees half a file). When anything fails, nothing is set and the driver unpacks it as
 * usual.
 */
final class SqliteNative {
  private static final String PATH = "org.sqlite.lib.path";
  private static final String NAME = "org.sqlite.lib.name";

  private SqliteNative() {}

  /** Points the driver at its library under {@code cache}, unpacking it there the first time. */
  static synchronized void useCached(Path cache) {
    if (System.getProperty(PATH) != null || System.getProperty(NAME) != null) {
      return; // chosen already, by us or by whoever started the JVM
    }
    try {
      String name = LibraryLoaderUtil.getNativeLibName();
      String resource = LibraryLoaderUtil.getNativeLibResourcePath() + "/" + name;
      Path dir =
          cache
              .resolve("sqlite-native")
              .resolve(
                  SQLiteJDBCLoader.getVersion()
                      + "-"
                      + LibraryLoaderUtil.getNativeLibResourcePath()
                          .replaceAll("[^A-Za-z0-9_.-]+", "-"));
      Path lib = dir.resolve(name);
      if (!Files.isRegularFile(lib)) {
        try (InputStream in = SQLiteJDBCLoader.class.getResourceAsStream(resource)) {
          if (in == null) {
            return; // no library for this platform in the jar: the driver says so itself
          }
          Files.createDirectories(dir);
          Path tmp = Files.createTempFile(dir, name, ".tmp");
          try {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, lib, StandardCopyOption.ATOMIC_MOVE);
          } finally {
            Files.deleteIfExists(tmp);
          }
        }
      }
      System.setProperty(PATH, dir.toString());
      System.setProperty(NAME, name);
    } catch (IOException | RuntimeException e) {
      // a read-only cache, a full disk: the driver unpacks its library into the temporary directory
    }
  }
}
