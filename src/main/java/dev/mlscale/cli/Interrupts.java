package dev.mlscale.cli;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Turns Ctrl-C (SIGINT) and SIGTERM into a cancel of what the command runs, so that the command
 * records its runs as Cancelled and ends itself with exit code 130, instead of the JVM dying with
 * the runs left Running (shown Lost). A second signal stops mlscale at once.
 *
 * <p>The handlers are installed while at least one command is registered and the JVM's own are put
 * back when the last one is done (tests run several commands in one JVM).
 */
final class Interrupts implements AutoCloseable {
  private static final List<String> SIGNALS = List.of("INT", "TERM");
  private static final List<Interrupts> ACTIVE = new CopyOnWriteArrayList<>();
  private static final Map<String, SignalHandler> PREVIOUS = new LinkedHashMap<>();
  private static final AtomicInteger RECEIVED = new AtomicInteger();

  private final PrintStream err;
  private final Consumer<String> cancel;

  private Interrupts(PrintStream err, Consumer<String> cancel) {
    this.err = err;
    this.cancel = cancel;
  }

  /**
   * Until closed, SIGINT and SIGTERM call {@code cancel} with what happened (e.g. "SIGINT
   * (Ctrl-C)") once; the command then ends as its runs end.
   */
  static Interrupts cancelling(PrintStream err, Consumer<String> cancel) {
    Interrupts i = new Interrupts(err, cancel);
    synchronized (Interrupts.class) {
      if (ACTIVE.isEmpty()) {
        RECEIVED.set(0);
        for (String name : SIGNALS) {
          try {
            PREVIOUS.put(name, Signal.handle(new Signal(name), Interrupts::received));
          } catch (IllegalArgumentException unavailable) {
            // the JVM or the OS keeps this signal (e.g. java -Xrs); it ends mlscale as before
          }
        }
      }
      ACTIVE.add(i);
    }
    return i;
  }

  private static void received(Signal signal) {
    String what = "SIG" + signal.getName() + (signal.getName().equals("INT") ? " (Ctrl-C)" : "");
    if (RECEIVED.incrementAndGet() > 1) {
      for (Interrupts i : ACTIVE) {
        i.err.println(
            "\n" + what + " again: stopping mlscale now; runs not yet ended are shown Lost");
      }
      Runtime.getRuntime().halt(130);
    }
    for (Interrupts i : ACTIVE) {
      i.err.println(
          "\n"
              + what
              + ": cancelling; jobs get SIGTERM, then SIGKILL after a grace period"
              + " (send it again to stop mlscale at once)");
      i.cancel.accept(what);
    }
  }

  @Override
  public void close() {
    synchronized (Interrupts.class) {
      ACTIVE.remove(this);
      if (ACTIVE.isEmpty()) {
        PREVIOUS.forEach((name, handler) -> Signal.handle(new Signal(name), handler));
        PREVIOUS.clear();
      }
    }
  }
}
