package dev.mlscale.cli;

import dev.mlscale.backend.local.Capacity;
import dev.mlscale.backend.local.LocalBackend;
import dev.mlscale.backend.local.ResourcePool;
import dev.mlscale.store.Database;
import dev.mlscale.store.Home;
import dev.mlscale.store.ModelStore;
import dev.mlscale.store.RunStore;
import java.io.PrintStream;
import java.time.Clock;
import java.util.Map;

/**
 * What every command shares: the environment, the output streams, the clock and, opened on first
 * use, the store. Built once per CLI invocation; tests build it with their own environment.
 */
public final class Context implements AutoCloseable {
  private final Map<String, String> env;
  private final PrintStream out;
  private final PrintStream err;
  private final Clock clock;
  private final Home home;
  private final Style style;
  private Database db;

  public Context(Map<String, String> env, PrintStream out, PrintStream err, Clock clock) {
    this.env = Map.copyOf(env);
    this.out = out;
    this.err = err;
    this.clock = clock;
    this.home = Home.fromEnvironment(env);
    this.style = Style.detect(env);
  }

  public Map<String, String> env() {
    return env;
  }

  public PrintStream out() {
    return out;
  }

  public PrintStream err() {
    return err;
  }

  public Clock clock() {
    return clock;
  }

  public Home home() {
    return home;
  }

  public Style style() {
    return style;
  }

  public synchronized Database db() {
    if (db == null) {
      db = Database.open(home);
    }
    return db;
  }

  public RunStore runs() {
    return new RunStore(db());
  }

  public dev.mlscale.store.PipelineStore pipelines() {
    return new dev.mlscale.store.PipelineStore(db());
  }

  public ModelStore models() {
    return new ModelStore(db(), home.models());
  }

  public LocalBackend localBackend() {
    return new LocalBackend(
        home, runs(), models(), new ResourcePool(Capacity.detect(env)), clock, env);
  }

  @Override
  public synchronized void close() {
    if (db != null) {
      db.close();
    }
  }
}
