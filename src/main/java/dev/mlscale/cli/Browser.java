package dev.mlscale.cli;

import java.io.IOException;
import java.util.Optional;

/** Opens a URL in the desktop's browser, where there is a desktop (xdg-open and a display). */
final class Browser {
  private Browser() {}

  static void open(Context ctx, String url) {
    if (!ctx.env().containsKey("DISPLAY") && !ctx.env().containsKey("WAYLAND_DISPLAY")) {
      return;
    }
    Optional<java.nio.file.Path> opener =
        dev.mlscale.backend.local.ProcessGroup.resolve(
            "xdg-open", java.nio.file.Path.of("."), ctx.env().getOrDefault("PATH", ""));
    if (opener.isEmpty()) {
      return;
    }
    try {
      new ProcessBuilder(opener.get().toString(), url)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
    } catch (IOException e) {
      ctx.err().println("  (could not open a browser: " + e.getMessage() + ")");
    }
  }
}
