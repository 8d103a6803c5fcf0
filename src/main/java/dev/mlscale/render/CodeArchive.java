package dev.mlscale.render;

import dev.mlscale.error.UserError;
import dev.mlscale.spec.MemorySize;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * A job's workdir packed as a deterministic tar.gz (sorted entries, fixed times), so that small
 * code travels to the cluster in a ConfigMap without building an image. The same workdir always
 * gives the same bytes.
 */
public record CodeArchive(byte[] bytes, int files) {
  /** What fits in a ConfigMap next to the parameters, under the API server's 1 MiB object limit. */
  public static final long MAX_BYTES = 900 * 1024;

  private static final Set<String> SKIPPED =
      Set.of(".git", "__pycache__", ".venv", "venv", "output", ".mypy_cache", ".pytest_cache");

  public static CodeArchive of(Path workdir) {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    int count = 0;
    try (GZIPOutputStream gz = new GZIPOutputStream(buffer);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(gz);
        Stream<Path> walk = Files.walk(workdir)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      List<Path> files =
          walk.filter(Files::isRegularFile)
              .filter(p -> !skipped(workdir.relativize(p)))
              .sorted()
              .toList();
      for (Path file : files) {
        String name = workdir.relativize(file).toString().replace('\\', '/');
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setSize(Files.size(file));
        entry.setModTime(0);
        entry.setMode(Files.isExecutable(file) ? 0755 : 0644);
        tar.putArchiveEntry(entry);
        Files.copy(file, tar);
        tar.closeArchiveEntry();
        count++;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    byte[] bytes = buffer.toByteArray();
    if (bytes.length > MAX_BYTES) {
      throw new UserError(
          "the workdir "
              + workdir
              + " is "
              + MemorySize.human(bytes.length)
              + " compressed ("
              + count
              + " files); code travels to the cluster in a ConfigMap, which holds at most "
              + MemorySize.human(MAX_BYTES)
              + ". Move data and large files to the model-storage volume or into the image");
    }
    return new CodeArchive(bytes, count);
  }

  private static boolean skipped(Path relative) {
    for (Path part : relative) {
      String s = part.toString();
      if (SKIPPED.contains(s) || s.endsWith(".pyc")) {
        return true;
      }
    }
    return false;
  }
}
