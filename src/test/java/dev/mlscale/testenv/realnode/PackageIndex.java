package dev.mlscale.testenv.realnode;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.mlscale.testenv.infra.Scripts;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

/**
 * A Python package index (PEP 503 "simple" API) on the real node's bridge, as an on-prem cluster
 * has one: wheels are downloaded once on this machine with {@code pip download} (cached under the
 * testenv home) and served to the pods at {@code http://10.244.0.1:PORT/simple/}. Pods never reach
 * anything outside this machine. Every file download is recorded, so a test can tell whether a pod
 * installed anything.
 */
public final class PackageIndex implements AutoCloseable {
  private final HttpServer server;
  private final Map<String, Map<String, Path>> projects; // normalized name -> file name -> path
  private final List<String> downloads = new CopyOnWriteArrayList<>();
  private final List<String> refused = new CopyOnWriteArrayList<>();
  private volatile String authorization; // "Basic ..." when the index needs credentials

  private PackageIndex(HttpServer server, Map<String, Map<String, Path>> projects) {
    this.server = server;
    this.projects = projects;
  }

  /** From now on, every request must carry these credentials (HTTP basic auth), else 401. */
  public PackageIndex requireCredentials(String user, String password) {
    authorization =
        "Basic "
            + java.util.Base64.getEncoder()
                .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    return this;
  }

  /** Requests refused for lack of credentials. */
  public List<String> refused() {
    return List.copyOf(refused);
  }

  /** Serves the wheels that {@code requirements} need (downloaded on first use). */
  public static PackageIndex serve(String bindAddress, Path requirements) throws IOException {
    Path wheels = wheelsFor(requirements);
    Map<String, Map<String, Path>> projects = new TreeMap<>();
    try (Stream<Path> files = Files.list(wheels)) {
      files
          .filter(f -> f.toString().endsWith(".whl") || f.toString().endsWith(".tar.gz"))
          .forEach(
              f -> {
                String file = f.getFileName().toString();
                projects
                    .computeIfAbsent(
                        normalize(file.substring(0, file.indexOf('-'))), k -> new TreeMap<>())
                    .put(file, f);
              });
    }
    HttpServer server = HttpServer.create(new InetSocketAddress(bindAddress, 0), 16);
    PackageIndex index = new PackageIndex(server, projects);
    server.createContext("/", index::handle);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
    return index;
  }

  /** The index URL pods use, e.g. {@code http://10.244.0.1:41234/simple/}. */
  public String url() {
    return "http://"
        + server.getAddress().getAddress().getHostAddress()
        + ":"
        + server.getAddress().getPort()
        + "/simple/";
  }

  /** The files pods downloaded so far. */
  public List<String> downloads() {
    return List.copyOf(downloads);
  }

  @Override
  public void close() {
    server.stop(0);
  }

  private void handle(HttpExchange x) throws IOException {
    String path = x.getRequestURI().getPath();
    try (x) {
      if (authorization != null
          && !authorization.equals(x.getRequestHeaders().getFirst("Authorization"))) {
        refused.add(path);
        x.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"test index\"");
        send(x, 401, "text/plain", "credentials needed\n".getBytes(StandardCharsets.UTF_8));
        return;
      }
      if (path.equals("/simple/") || path.equals("/simple")) {
        StringBuilder html = new StringBuilder("<!DOCTYPE html><html><body>\n");
        projects
            .keySet()
            .forEach(
                p ->
                    html.append("<a href=\"/simple/")
                        .append(p)
                        .append("/\">")
                        .append(p)
                        .append("</a>\n"));
        send(
            x,
            200,
            "text/html",
            html.append("</body></html>\n").toString().getBytes(StandardCharsets.UTF_8));
        return;
      }
      if (path.startsWith("/simple/")) {
        String name = normalize(path.substring("/simple/".length()).replace("/", ""));
        Map<String, Path> files = projects.get(name);
        if (files == null) {
          send(
              x, 404, "text/plain", ("no project " + name + "\n").getBytes(StandardCharsets.UTF_8));
          return;
        }
        StringBuilder html = new StringBuilder("<!DOCTYPE html><html><body>\n");
        for (var f : files.entrySet()) {
          html.append("<a href=\"/files/")
              .append(f.getKey())
              .append("#sha256=")
              .append(sha256(f.getValue()))
              .append("\">")
              .append(f.getKey())
              .append("</a>\n");
        }
        send(
            x,
            200,
            "text/html",
            html.append("</body></html>\n").toString().getBytes(StandardCharsets.UTF_8));
        return;
      }
      if (path.startsWith("/files/")) {
        String file = path.substring("/files/".length());
        Path p =
            projects.values().stream()
                .map(m -> m.get(file))
                .filter(v -> v != null)
                .findFirst()
                .orElse(null);
        if (p == null) {
          send(x, 404, "text/plain", new byte[0]);
          return;
        }
        downloads.add(file);
        send(x, 200, "application/octet-stream", Files.readAllBytes(p));
        return;
      }
      send(x, 404, "text/plain", new byte[0]);
    }
  }

  private static void send(HttpExchange x, int code, String type, byte[] body) throws IOException {
    x.getResponseHeaders().set("Content-Type", type);
    x.sendResponseHeaders(code, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = x.getResponseBody()) {
        out.write(body);
      }
    }
  }

  static String normalize(String name) {
    return name.toLowerCase(java.util.Locale.ROOT).replaceAll("[-_.]+", "-");
  }

  private static String sha256(Path p) throws IOException {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The wheels for a requirements file, for the node's Python (CPython 3.11 on glibc x86-64, the
   * same as this machine's Debian): downloaded once into the testenv home, keyed by the file's
   * content.
   */
  static synchronized Path wheelsFor(Path requirements) throws IOException {
    String key = sha256(requirements).substring(0, 12);
    Path dir = Scripts.testenvHome().resolve("wheels").resolve(key);
    if (Files.exists(dir.resolve(".complete"))) {
      return dir;
    }
    Files.createDirectories(dir);
    ProcessBuilder pb =
        new ProcessBuilder(
                "python3",
                "-m",
                "pip",
                "download",
                "--disable-pip-version-check",
                "--quiet",
                "--only-binary=:all:",
                "--python-version",
                "3.11",
                "--platform",
                "manylinux_2_28_x86_64",
                "--platform",
                "manylinux_2_17_x86_64",
                "--platform",
                "manylinux2014_x86_64",
                "--implementation",
                "cp",
                "-d",
                dir.toString(),
                "-r",
                requirements.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("pip-download.log").toFile());
    try {
      int code = pb.start().waitFor();
      if (code != 0) {
        throw new IOException(
            "pip download for the test index failed (exit "
                + code
                + "): "
                + Files.readString(dir.resolve("pip-download.log")));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    Files.writeString(dir.resolve(".complete"), "");
    return dir;
  }
}
