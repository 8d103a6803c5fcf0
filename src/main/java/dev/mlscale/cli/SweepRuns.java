package dev.mlscale.cli;

import dev.mlscale.spec.SpecLoader;
import dev.mlscale.store.SweepStore;
import dev.mlscale.sweep.ClusterSweeps;
import dev.mlscale.sweep.ClusterTrials;
import dev.mlscale.sweep.SweepSpec;
import dev.mlscale.sweep.Trial;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Sweeps, wherever they run: this machine's (the embedded store) or a cluster's (a ConfigMap per
 * sweep, a Job per trial). Both give the same views, so {@code sweep ls} and {@code sweep show}
 * parse, call and print; the target is picked once, from the {@link ClusterOptions} mixin.
 */
interface SweepRuns extends AutoCloseable {
  /** A sweep in a list: a Running sweep whose owner is gone is Interrupted. */
  record SweepView(
      String sweep,
      String name,
      String state,
      Integer trials,
      Instant createdAt,
      Instant endedAt,
      String message) {}

  /** A sweep with its spec and trials. */
  record SweepDetail(String id, String state, String message, SweepSpec spec, List<Trial> trials) {}

  static SweepRuns open(Context ctx, ClusterOptions cluster) {
    return cluster.onCluster() ? new Cluster(ctx, cluster) : new Local(ctx);
  }

  List<SweepView> list();

  SweepDetail show(String idOrPrefix);

  @Override
  void close();

  /** This machine's sweeps. */
  final class Local implements SweepRuns {
    private final Context ctx;
    private final SweepStore store;

    Local(Context ctx) {
      this.ctx = ctx;
      this.store = new SweepStore(ctx.db());
    }

    @Override
    public List<SweepView> list() {
      return store.list().stream()
          .map(
              r -> {
                SweepCommand.Shown shown = SweepCommand.shown(ctx, r);
                return new SweepView(
                    r.id(),
                    r.name(),
                    shown.state(),
                    store.trials(r.id()).size(),
                    r.createdAt(),
                    r.endedAt(),
                    shown.message());
              })
          .toList();
    }

    @Override
    public SweepDetail show(String idOrPrefix) {
      SweepStore.SweepRecord r = store.get(idOrPrefix);
      SweepCommand.Shown shown = SweepCommand.shown(ctx, r);
      SweepSpec spec = new SpecLoader().parse(r.spec(), r.specFile(), SweepSpec.class, List.of());
      return new SweepDetail(r.id(), shown.state(), shown.message(), spec, store.trials(r.id()));
    }

    @Override
    public void close() {}
  }

  /** A cluster's sweeps, readable from any machine with the kubeconfig. */
  final class Cluster implements SweepRuns {
    private final AutoClose connection;

    Cluster(Context ctx, ClusterOptions cluster) {
      this.connection = new AutoClose(cluster.connect(ctx));
    }

    @Override
    public List<SweepView> list() {
      return new ClusterSweeps(connection.get())
          .list().stream()
              .map(
                  (Map<String, String> s) ->
                      new SweepView(
                          s.get("sweep"),
                          s.get("name"),
                          s.get("state"),
                          null,
                          s.get("created") == null ? null : Instant.parse(s.get("created")),
                          null,
                          s.get("message")))
              .toList();
    }

    @Override
    public SweepDetail show(String id) {
      ClusterSweeps.Stored stored;
      try {
        stored =
            new ClusterSweeps(connection.get())
                .load(id, Files.createTempDirectory("mlscale-sweep-"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      SweepSpec spec = new SpecLoader().parse(stored.specJson(), id, SweepSpec.class, List.of());
      List<Trial> trials = new ClusterTrials(id, null, null, connection.get(), null, null).load();
      return new SweepDetail(stored.id(), stored.state(), stored.message(), spec, trials);
    }

    @Override
    public void close() {
      connection.close();
    }
  }
}
