package dev.mlscale.notebook;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The Jupyter server a notebook runs, the same on every target: JupyterLab from PyPI, installed
 * into the job's setup environment, started under mlscale's helper ({@code python -m mlscale
 * notebook}), which stops it after the idle timeout. The token travels in {@code $JUPYTER_TOKEN},
 * never on a command line.
 */
public final class Jupyter {
  /** The package installed after the job's requirements: a pinned JupyterLab. */
  public static final String PACKAGE = "jupyterlab==4.6.6";

  /** The port the server listens on in the pod. */
  public static final int POD_PORT = 8888;

  /** The line the helper prints once the server answers. */
  static final String READY = "mlscale notebook: ready";

  private static final SecureRandom RANDOM = new SecureRandom();

  private Jupyter() {}

  /** A free port on this machine's loopback interface. */
  static int freePort() {
    try (java.net.ServerSocket s =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (java.io.IOException e) {
      throw new dev.mlscale.error.EnvironmentError(
          "no free local port for the notebook: " + e.getMessage());
    }
  }

  /** A new random token: 32 bytes, hex. */
  public static String newToken() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /**
   * The command: the helper as supervisor, then JupyterLab on {@code ip:port}, serving {@code
   * root}; {@code python} and {@code jupyter} are the environment's.
   */
  public static List<String> command(
      String python, String jupyter, String ip, int port, String root, Duration idleTimeout) {
    List<String> argv = new ArrayList<>();
    argv.addAll(List.of(python, "-m", "mlscale", "notebook", "--port", Integer.toString(port)));
    argv.addAll(List.of("--idle-timeout", Long.toString(idleTimeout.toSeconds()), "--"));
    argv.addAll(
        List.of(
            jupyter,
            "lab",
            "--no-browser",
            "--allow-root",
            "--ip=" + ip,
            "--port=" + port,
            "--ServerApp.port_retries=0",
            "--ServerApp.root_dir=" + root,
            "--LabApp.extension_manager=readonly",
            "--LabApp.check_for_updates_class="
                + "jupyterlab.handlers.announcements.NeverCheckForUpdate"));
    return argv;
  }
}
