package dev.mlscale.plan;

import dev.mlscale.error.UserError;
import dev.mlscale.spec.Setup;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The cache key of a job's Python environment: the hash of everything that decides its content
 * (interpreter, requirements file and its content, commands, inputs and their content). The same
 * key names the environment on this machine and in the cluster's environment cache.
 */
public final class EnvKey {
  private EnvKey() {}

  public static String of(Setup setup, Path workdir) {
    return of(setup, workdir, java.util.List.of());
  }

  /**
   * The key of the environment with {@code packages} installed after the requirements (a notebook's
   * JupyterLab): the same as the job's key when there are none.
   */
  public static String of(Setup setup, Path workdir, java.util.List<String> packages) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      update(sha, "python=" + setup.python());
      if (setup.requirements() != null) {
        update(sha, "requirements=" + setup.requirements());
        sha.update(readInput(workdir, setup.requirements(), "requirements"));
      }
      for (String command : setup.commands()) {
        update(sha, "command=" + command);
      }
      for (String input : setup.inputs()) {
        update(sha, "input=" + input);
        sha.update(readInput(workdir, input, "inputs"));
      }
      for (String p : packages) {
        update(sha, "package=" + p);
      }
      return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] readInput(Path workdir, String file, String field) {
    Path p = workdir.resolve(file);
    try {
      return Files.readAllBytes(p);
    } catch (IOException e) {
      throw new UserError(
          "setup."
              + field
              + " names '"
              + file
              + "', which does not exist in the workdir "
              + workdir);
    }
  }

  private static void update(MessageDigest sha, String text) {
    sha.update(text.getBytes(StandardCharsets.UTF_8));
    sha.update((byte) 0);
  }
}
