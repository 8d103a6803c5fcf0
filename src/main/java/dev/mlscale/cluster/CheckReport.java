package dev.mlscale.cluster;

import java.util.List;

/**
 * What {@code cluster check} found.
 *
 * @param context the kubeconfig context
 * @param namespace the namespace checked
 * @param server the API server's URL
 * @param user who the API server says we are (SelfSubjectReview), or "" when it would not say
 * @param checks every line, in the order they were checked
 * @param pools the node pools, by {@code role} label
 * @param ok true when mlscale can run: no required line is missing, wrong or unknown
 */
public record CheckReport(
    String context,
    String namespace,
    String server,
    String user,
    List<Check> checks,
    List<NodePool> pools,
    boolean ok) {

  public CheckReport {
    checks = List.copyOf(checks);
    pools = List.copyOf(pools);
  }

  public static CheckReport of(
      String context,
      String namespace,
      String server,
      String user,
      List<Check> checks,
      List<NodePool> pools) {
    return new CheckReport(
        context, namespace, server, user, checks, pools, checks.stream().noneMatch(Check::blocks));
  }
}
