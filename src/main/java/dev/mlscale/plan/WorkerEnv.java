package dev.mlscale.plan;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The environment every worker of a distributed run shares, the same on every target: torchrun's
 * ({@code MASTER_ADDR}, {@code MASTER_PORT}, {@code WORLD_SIZE}) and mlscale's generic one ({@code
 * MLSCALE_WORKERS}, {@code MLSCALE_WORKER_HOSTS}: host:port of every worker, by rank, comma
 * separated, as LightGBM's {@code machines} or XGBoost's tracker take it). What differs per worker
 * ({@code RANK}, {@code NODE_RANK}, {@code LOCAL_RANK}, {@code MLSCALE_WORKER_INDEX}, {@code
 * MLSCALE_WORKER_PORT}) is set where the worker starts: by the local supervisor, or on Kubernetes
 * from the pod's completion index.
 */
public final class WorkerEnv {
  public static final String WORKERS = "MLSCALE_WORKERS";
  public static final String HOSTS = "MLSCALE_WORKER_HOSTS";
  public static final String INDEX = "MLSCALE_WORKER_INDEX";
  public static final String PORT = "MLSCALE_WORKER_PORT";

  private WorkerEnv() {}

  /** The shared variables for workers at {@code hosts} (by rank), listening on {@code ports}. */
  public static Map<String, String> common(List<String> hosts, List<Integer> ports) {
    if (hosts.size() != ports.size() || hosts.isEmpty()) {
      throw new IllegalArgumentException(hosts.size() + " hosts but " + ports.size() + " ports");
    }
    List<String> hostPorts = new ArrayList<>();
    for (int k = 0; k < hosts.size(); k++) {
      hostPorts.add(hosts.get(k) + ":" + ports.get(k));
    }
    Map<String, String> env = new LinkedHashMap<>();
    env.put("MASTER_ADDR", hosts.get(0));
    env.put("MASTER_PORT", Integer.toString(ports.get(0)));
    env.put("WORLD_SIZE", Integer.toString(hosts.size()));
    env.put(WORKERS, Integer.toString(hosts.size()));
    env.put(HOSTS, String.join(",", hostPorts));
    return env;
  }
}
