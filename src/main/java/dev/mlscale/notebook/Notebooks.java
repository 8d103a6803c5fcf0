package dev.mlscale.notebook;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * Notebooks, wherever they run: a Jupyter server on this machine or a pod on the cluster. Both
 * return the same views, so the commands parse, call and print; the target is picked once.
 */
public interface Notebooks extends AutoCloseable {
  /**
   * Starts (or, on the cluster, reconnects to) a notebook and returns once its server answers;
   * {@code progress} gets lines to show (setup output, the pod's state).
   */
  Session start(NotebookRequest request, Consumer<String> progress) throws InterruptedException;

  /** The notebooks of this machine, or of the namespace, newest first. */
  List<NotebookView> list();

  /** Stops a notebook's server; its workspace stays. Says what it did. */
  String stop(String name) throws InterruptedException;

  /** Removes a notebook and its workspace; {@code confirmed} must be true. Says what it did. */
  String delete(String name, boolean confirmed) throws InterruptedException;

  @Override
  void close();

  /** A started notebook, reachable at {@link #url()} (with its token) from this machine. */
  interface Session extends AutoCloseable {
    /** The URL to open, token included. */
    String url();

    /** Waits until the server ends on its own (culled, crashed, stopped elsewhere); says why. */
    String awaitEnd() throws InterruptedException;

    /**
     * Ends the session: locally the server stops; on the cluster the port-forward closes and the
     * pod keeps running.
     */
    @Override
    void close();
  }

  /** How long {@link #stop} waits for a server to end after SIGTERM before killing it. */
  Duration STOP_GRACE = Duration.ofSeconds(20);
}
