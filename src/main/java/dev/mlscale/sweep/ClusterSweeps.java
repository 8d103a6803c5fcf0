package dev.mlscale.sweep;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mlscale.backend.kubernetes.ClusterConnection;
import dev.mlscale.error.NotFoundError;
import dev.mlscale.render.CodeArchive;
import dev.mlscale.render.Labels;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * A sweep on a cluster: a ConfigMap {@code SWEEP-sweep} holds its spec, its job spec and the job's
 * code, so that any machine with the kubeconfig can resume it; its trials are Jobs labelled with
 * the sweep's id.
 */
public final class ClusterSweeps {
  static final String STATE = "mlscale.dev/sweep-state";
  static final String MESSAGE = "mlscale.dev/sweep-message";
  private static final ObjectMapper JSON = new ObjectMapper();
  private final ClusterConnection cluster;

  private static final String JOB_OVERRIDES = "job-overrides.json";

  public ClusterSweeps(ClusterConnection cluster) {
    this.cluster = cluster;
  }

  /** What a resumed sweep needs, unpacked into a directory of this machine. */
  public record Stored(
      String id,
      String specJson,
      Path jobFile,
      List<String> jobOverrides,
      String state,
      String message) {}

  /**
   * Creates the sweep's record in the cluster: its spec, its job file, the overrides of the job the
   * sweep was started with (as {@code --queue} gives them, so a resume from any machine keeps them)
   * and its code.
   */
  public void create(
      String id, String specJson, Path jobFile, List<String> jobOverrides, CodeArchive code) {
    String jobYaml;
    try {
      jobYaml = Files.readString(jobFile);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ConfigMap cm =
        new ConfigMapBuilder()
            .withNewMetadata()
            .withName(id + "-sweep")
            .withNamespace(cluster.namespace())
            .addToLabels(Labels.MANAGED_BY, Labels.MLSCALE)
            .addToLabels(ClusterTrials.SWEEP, id)
            .addToAnnotations(STATE, "Running")
            .endMetadata()
            .addToData("sweep.json", specJson)
            .addToData("job.yaml", jobYaml)
            .addToData("job-file", jobFile.getFileName().toString())
            .addToData(JOB_OVERRIDES, json(jobOverrides))
            .addToBinaryData("code.tar.gz", Base64.getEncoder().encodeToString(code.bytes()))
            .build();
    try {
      cluster.client().resource(cm).create();
    } catch (KubernetesClientException e) {
      throw cluster.explain(e, "create ConfigMap " + id + "-sweep");
    }
  }

  private static String json(List<String> overrides) {
    try {
      return JSON.writeValueAsString(overrides);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The stored overrides; none for a sweep created before they were kept. */
  private static List<String> overrides(String json) {
    if (json == null) {
      return List.of();
    }
    try {
      return List.of(JSON.readValue(json, String[].class));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("the sweep's " + JOB_OVERRIDES + " is not a JSON list", e);
    }
  }

  /** Reads a sweep and unpacks its job and code into {@code dir}. */
  public Stored load(String id, Path dir) {
    ConfigMap cm =
        cluster
            .client()
            .configMaps()
            .inNamespace(cluster.namespace())
            .withName(id + "-sweep")
            .get();
    if (cm == null) {
      throw new NotFoundError(
          "sweep",
          id,
          "no ConfigMap "
              + id
              + "-sweep in namespace "
              + cluster.namespace()
              + "; 'mlscale sweep ls --target k8s' lists the sweeps there");
    }
    try {
      Files.createDirectories(dir);
      byte[] tgz = Base64.getDecoder().decode(cm.getBinaryData().get("code.tar.gz"));
      try (var in =
          new TarArchiveInputStream(
              new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(tgz)))) {
        TarArchiveEntry e;
        while ((e = in.getNextEntry()) != null) {
          Path target = dir.resolve(e.getName()).normalize();
          if (!target.startsWith(dir)) {
            continue;
          }
          Files.createDirectories(target.getParent());
          Files.copy(in, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
      Path jobFile = dir.resolve("mlscale-sweep-job.yaml");
      Files.writeString(
          jobFile, cm.getData().get("job.yaml").replaceAll("(?m)^workdir:.*$", "workdir: ."));
      Map<String, String> a = cm.getMetadata().getAnnotations();
      return new Stored(
          id,
          cm.getData().get("sweep.json"),
          jobFile,
          overrides(cm.getData().get(JOB_OVERRIDES)),
          a.get(STATE),
          a.get(MESSAGE));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public List<Map<String, String>> list() {
    return cluster
        .client()
        .configMaps()
        .inNamespace(cluster.namespace())
        .withLabel(ClusterTrials.SWEEP)
        .list()
        .getItems()
        .stream()
        .map(
            cm -> {
              Map<String, String> m = new LinkedHashMap<>();
              m.put("sweep", cm.getMetadata().getLabels().get(ClusterTrials.SWEEP));
              m.put("name", nameOf(cm.getData() == null ? null : cm.getData().get("sweep.json")));
              m.put("state", cm.getMetadata().getAnnotations().get(STATE));
              m.put("message", cm.getMetadata().getAnnotations().get(MESSAGE));
              m.put("created", cm.getMetadata().getCreationTimestamp());
              return m;
            })
        .toList();
  }

  private static String nameOf(String specJson) {
    try {
      return specJson == null
          ? null
          : dev.mlscale.spec.SpecLoader.mapper().readTree(specJson).path("name").asText(null);
    } catch (java.io.IOException e) {
      return null;
    }
  }

  void finish(String id, String state, String message) {
    annotate(id, Map.of(STATE, state, MESSAGE, message));
  }

  void annotate(String id, Map<String, String> annotations) {
    try {
      cluster
          .client()
          .configMaps()
          .inNamespace(cluster.namespace())
          .withName(id + "-sweep")
          .patch(
              PatchContext.of(PatchType.JSON_MERGE),
              JSON.writeValueAsString(Map.of("metadata", Map.of("annotations", annotations))));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
