package dev.mlscale.notebook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlscale.cli.CliHarness;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real browser (headless Chromium, Debian's {@code chromium}) opens the URL {@code mlscale
 * notebook} prints: JupyterLab's page loads, runs its scripts and shows the launcher with the job's
 * kernel and the job's files; without the token it gets the login page. Runs only where {@code
 * chromium} is on the PATH (tag {@code browser}); it leaves a screenshot in
 * target/screens/jupyterlab.png for a person to look at.
 */
@Tag("browser")
@EnabledIf("chromiumInstalled")
class ChromiumJupyterLabTest {
  @TempDir Path home;
  @TempDir Path work;
  @TempDir Path browsers;

  static boolean chromiumInstalled() {
    return chromium() != null;
  }

  private static Path chromium() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path p = Path.of(dir.isEmpty() ? "." : dir, "chromium");
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  /**
   * What headless Chromium made of {@code url} once the page's scripts ran (its {@code mode}:
   * --dump-dom prints the DOM, --screenshot=FILE writes a PNG), as a browser with the cookies of
   * {@code profile} (a folder of its own: a new browser); fails if it does not end in two minutes.
   */
  private String browse(String profile, String mode, String url) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                chromium().toString(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--user-data-dir=" + browsers.resolve(profile),
                "--window-size=1280,800",
                "--virtual-time-budget=15000",
                mode,
                url));
    Path dom = Files.createTempFile(browsers, "dom", ".html");
    Process p =
        new ProcessBuilder(cmd)
            .redirectOutput(dom.toFile())
            .redirectError(browsers.resolve("chromium.log").toFile())
            .start();
    try {
      assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("chromium ended within 2 minutes").isTrue();
    } finally {
      p.destroyForcibly();
    }
    assertThat(p.exitValue()).as(Files.readString(browsers.resolve("chromium.log"))).isZero();
    return Files.readString(dom, StandardCharsets.UTF_8);
  }

  @Test
  void jupyterLabLoadsInABrowserWithTheTokenAndAsksForItWithout() throws Exception {
    Files.writeString(work.resolve("train.py"), "print('training')\n");
    Path spec =
        Files.writeString(work.resolve("job.yaml"), "name: nbshot\ncommand: [python, train.py]\n");
    Path terminal = work.resolve("terminal.txt");
    Process nb = new CliHarness(home).start(terminal, "notebook", spec.toString(), "--no-browser");
    try {
      String url = JupyterClient.awaitUrl(terminal, nb, Duration.ofMinutes(4));

      String lab = browse("browser-1", "--dump-dom", url);
      assertThat(lab).as("the launcher, drawn by JupyterLab's scripts").contains("jp-Launcher");
      assertThat(lab).as("the job's kernel").contains("Python 3 (ipykernel)");
      assertThat(lab).as("the file browser lists the job's code").contains(">train.py<");

      // a browser that never had the token (the first one keeps it in a cookie)
      String login = browse("browser-2", "--dump-dom", url.substring(0, url.indexOf('?')));
      assertThat(login).contains("token_input").doesNotContain("jp-Launcher");

      Path screens = Files.createDirectories(Path.of("target", "screens"));
      Path png = screens.resolve("jupyterlab.png");
      Files.deleteIfExists(png);
      browse("browser-1", "--screenshot=" + png.toAbsolutePath(), url);
      assertThat(Files.readAllBytes(png))
          .startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
    } finally {
      stop(nb);
    }
    assertThat(nb.exitValue()).isZero();
  }

  private static void stop(Process nb) throws IOException, InterruptedException {
    new ProcessBuilder("kill", "-INT", Long.toString(nb.pid())).start().waitFor();
    if (!nb.waitFor(60, TimeUnit.SECONDS)) {
      nb.destroyForcibly();
    }
  }
}
