package dev.mlscale.cluster;

import dev.mlscale.error.UserError;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What {@code cluster init} creates in a namespace.
 *
 * @param namespace the namespace (created when missing)
 * @param storageClass the RWX class of the model-storage claim
 * @param claim the claim's name ({@code kubernetes.model_storage}'s default)
 * @param size the claim's size, e.g. {@code 50Gi}
 * @param users user names bound to the Role {@code mlscale}
 * @param groups group names bound to it
 * @param serviceAccounts ServiceAccounts bound to it: {@code NAME} (in the namespace) or {@code
 *     NAMESPACE:NAME}
 * @param env the environment the Secrets' values come from (AWS_ACCESS_KEY_ID,
 *     AWS_SECRET_ACCESS_KEY, SLACK_WEBHOOK_URL)
 */
public record InitInput(
    String namespace,
    String storageClass,
    String claim,
    String size,
    List<String> users,
    List<String> groups,
    List<String> serviceAccounts,
    Map<String, String> env) {
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  public InitInput {
    Objects.requireNonNull(namespace, "namespace");
    if (!DNS_LABEL.matcher(namespace).matches()) {
      throw new UserError(
          "-n '" + namespace + "' is not a namespace name; use lower-case letters, digits and '-'");
    }
    if (!DNS_LABEL.matcher(claim).matches()) {
      throw new UserError(
          "--claim '" + claim + "' is not a claim name; use lower-case letters, digits and '-'");
    }
    try {
      new io.fabric8.kubernetes.api.model.Quantity(size).getNumericalAmount();
    } catch (RuntimeException e) {
      throw new UserError("--size '" + size + "' is not a quantity; write e.g. 50Gi");
    }
    users = List.copyOf(users);
    groups = List.copyOf(groups);
    serviceAccounts = List.copyOf(serviceAccounts);
    for (String sa : serviceAccounts) {
      if (sa.isBlank() || sa.split(":", -1).length > 2) {
        throw new UserError("--service-account '" + sa + "' is not NAME or NAMESPACE:NAME");
      }
    }
    env = Map.copyOf(env);
  }

  boolean hasSubjects() {
    return !(users.isEmpty() && groups.isEmpty() && serviceAccounts.isEmpty());
  }
}
