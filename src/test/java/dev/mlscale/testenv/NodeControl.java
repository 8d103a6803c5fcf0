package dev.mlscale.testenv;

import io.fabric8.kubernetes.api.model.Node;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Node-loss helpers for one test. Every node that the test deletes or makes NotReady is restored by
 * {@link ClusterExtension} after the test, so the pools stay complete for the next one.
 */
public final class NodeControl {
  private final TestCluster cluster;
  private final Map<String, Node> deleted = new LinkedHashMap<>();
  private final Set<String> notReady = new LinkedHashSet<>();

  NodeControl(TestCluster cluster) {
    this.cluster = cluster;
  }

  /** Deletes the node (see {@link TestCluster#deleteNode}); it is recreated after the test. */
  public void deleteNode(String name) {
    Node copy = cluster.deleteNode(name);
    deleted.putIfAbsent(name, copy);
  }

  /** Makes the node report Ready=False; it is made Ready again after the test. */
  public Node makeNodeNotReady(String name) {
    notReady.add(name);
    return cluster.makeNodeNotReady(name);
  }

  /** Makes a node Ready again before the test ends. */
  public Node makeNodeReady(String name) {
    notReady.remove(name);
    return cluster.makeNodeReady(name);
  }

  /** Recreates a deleted node before the test ends. */
  public Node recreateNode(String name) {
    Node copy = deleted.remove(name);
    if (copy == null) {
      throw new IllegalArgumentException("node " + name + " was not deleted by this test");
    }
    return cluster.recreateNode(copy);
  }

  /** Restores every node this test changed. */
  void restore() {
    RuntimeException failure = null;
    for (String name : Set.copyOf(notReady)) {
      try {
        cluster.makeNodeReady(name);
        notReady.remove(name);
      } catch (RuntimeException e) {
        failure = accumulate(failure, e);
      }
    }
    for (Map.Entry<String, Node> e : Map.copyOf(deleted).entrySet()) {
      try {
        cluster.recreateNode(e.getValue());
        deleted.remove(e.getKey());
      } catch (RuntimeException ex) {
        failure = accumulate(failure, ex);
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  private static RuntimeException accumulate(RuntimeException first, RuntimeException next) {
    if (first == null) {
      return next;
    }
    first.addSuppressed(next);
    return first;
  }
}
