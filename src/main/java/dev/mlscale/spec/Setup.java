package dev.mlscale.spec;

import java.net.URI;
import java.util.List;

/**
 * What to prepare once before a job runs. {@code requirements} names a pip requirements file
 * (relative to the workdir) installed into a virtualenv of its own; {@code commands} run after it
 * inside that environment (each a command line split into words, run without a shell); {@code
 * inputs} names further files whose content decides when the environment is rebuilt. The result is
 * cached by the hash of all of these, so a second run starts at once.
 *
 * <p>Where packages come from: {@code indexUrl} and {@code extraIndexUrls} (else the user's pip
 * configuration), {@code wheelhouse} (a directory of wheels for air-gapped machines: then no index
 * is asked unless one is named), and {@code indexCredentials}, the name of a Kubernetes Secret with
 * the keys {@code username} and {@code password} for the index (never written into the spec).
 */
public record Setup(
    String python,
    String requirements,
    List<String> commands,
    List<String> inputs,
    String indexUrl,
    List<String> extraIndexUrls,
    String wheelhouse,
    String indexCredentials) {
  public Setup {
    python = python == null ? "python3" : python;
    commands = commands == null ? List.of() : List.copyOf(commands);
    inputs = inputs == null ? List.of() : List.copyOf(inputs);
    extraIndexUrls = extraIndexUrls == null ? List.of() : List.copyOf(extraIndexUrls);
    if (indexUrl != null) {
      checkUrl("index_url", indexUrl);
    }
    for (String u : extraIndexUrls) {
      checkUrl("extra_index_urls", u);
    }
    SpecFieldException.check(
        !python.isBlank(), "python", "setup.python must name an interpreter, e.g. python3");
  }

  public Setup(String python, String requirements, List<String> commands, List<String> inputs) {
    this(python, requirements, commands, inputs, null, null, null, null);
  }

  private static void checkUrl(String field, String url) {
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw new SpecFieldException(field, field + " '" + url + "' is not a URL");
    }
    if (uri.getScheme() == null
        || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
        || uri.getHost() == null) {
      throw new SpecFieldException(
          field, field + " '" + url + "' must be an http:// or https:// URL of a package index");
    }
    if (uri.getUserInfo() != null) {
      throw new SpecFieldException(
          field,
          field
              + " must not carry credentials: put them in a Secret with the keys username and"
              + " password and name it in setup.index_credentials");
    }
  }
}
