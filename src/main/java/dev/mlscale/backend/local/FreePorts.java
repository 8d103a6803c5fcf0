package dev.mlscale.backend.local;

import dev.mlscale.error.EnvironmentError;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * Free TCP ports on the loopback address for a gang's workers: each is bound at once (so the n
 * ports differ) and released just before the workers start. Another program could take one in that
 * moment; the worker then fails to listen, and the gang is retried as the spec says.
 */
final class FreePorts {
  private FreePorts() {}

  static List<Integer> take(int n) {
    List<ServerSocket> held = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        s.setReuseAddress(true);
        held.add(s);
      }
      return held.stream().map(ServerSocket::getLocalPort).toList();
    } catch (IOException e) {
      throw new EnvironmentError(
          "cannot find " + n + " free ports on this machine: " + e.getMessage());
    } finally {
      for (ServerSocket s : held) {
        try {
          s.close();
        } catch (IOException e) {
          // closing a listening socket we own does not fail in practice
        }
      }
    }
  }
}
