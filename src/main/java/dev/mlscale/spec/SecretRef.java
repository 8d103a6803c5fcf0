package dev.mlscale.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Where a secret value comes from: on Kubernetes the key {@code key} of the Secret {@code secret};
 * locally the variable of the same name in mlscale's own environment. Written {@code
 * s3-creds/access-key} or {@code {secret: s3-creds, key: access-key}}. The value never appears in a
 * spec, a ConfigMap, an annotation or a log.
 */
public record SecretRef(String secret, String key) {
  public SecretRef {
    SpecFieldException.require(secret, "secret", "the name of the Kubernetes Secret");
    SpecFieldException.require(key, "key", "the key inside the Secret");
  }

  @JsonCreator
  static SecretRef of(@JsonProperty("secret") String secret, @JsonProperty("key") String key) {
    return new SecretRef(secret, key);
  }

  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  static SecretRef parse(String text) {
    int slash = text.indexOf('/');
    if (slash <= 0 || slash == text.length() - 1) {
      throw new IllegalArgumentException(
          "'" + text + "' names no Secret key; write SECRET/KEY, e.g. s3-creds/access-key");
    }
    return new SecretRef(text.substring(0, slash), text.substring(slash + 1));
  }
}
