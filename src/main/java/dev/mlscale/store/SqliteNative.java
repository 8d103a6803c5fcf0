package dev.mlscale.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
    Path root = cache.resolve("sqlite-native");
    // which of the jar's libraries fits this machine: the driver's answer runs `uname`, so it is
    // kept (a library that does not load after all is unpacked by the driver as usual)
    Path known =
        root.resolve(
            "current-"
                + SQLiteJDBCLoader.getVersion()
                + "-"
                + System.getProperty("os.name", "").replaceAll("[^A-Za-z0-9_.-]+", "-")
                + "-"
                + System.getProperty("os.arch", "").replaceAll("[^A-Za-z0-9_.-]+", "-"));
    try {
      Path lib = Path.of(Files.readString(known).strip());
      if (Files.isRegularFile(lib)) {
        use(lib);
        return;
      }
    } catch (IOException | RuntimeException e) {
      // not unpacked yet
    }
    try {
      String name = LibraryLoaderUtil.getNativeLibName();
      String resource = LibraryLoaderUtil.getNativeLibResourcePath() + "/" + name;
      Path dir =
          root.resolve(
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
          AtomicFiles.write(lib, in.readAllBytes());
        }
      }
      AtomicFiles.write(known, lib.toString().getBytes(StandardCharsets.UTF_8));
      use(lib);
    } catch (IOException | RuntimeException e) {
      // a read-only cache, a full disk: the driver unpacks its library into the temporary directory
    }
  }

  /**
   * Names {@code lib} to the driver; its temporary directory (where it looks for stale copies of
   * its library on every start) becomes the library's, which holds none.
   */
  private static void use(Path lib) {
    System.setProperty(PATH, lib.getParent().toString());
    System.setProperty(NAME, lib.getFileName().toString());
    if (System.getProperty("org.sqlite.tmpdir") == null) {
      System.setProperty("org.sqlite.tmpdir", lib.getParent().toString());
    }
  }
}
