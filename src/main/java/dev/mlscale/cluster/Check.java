package dev.mlscale.cluster;

import java.util.Objects;

/**
 * One line of {@code cluster check}.
 *
 * @param area what it is about: api, namespace, rbac, nodes, gpus, storage, argo, metrics, kueue,
 *     autoscaler
 * @param item the thing checked, e.g. {@code create jobs.batch}
 * @param status how it came out
 * @param detail what was found, in plain words
 * @param fix the command to run (or what to do) when it is not OK; "" when OK
 * @param required whether mlscale can run without it: a required line that is not OK makes the
 *     check fail (exit 1)
 */
public record Check(
    String area, String item, CheckStatus status, String detail, String fix, boolean required) {

  public Check {
    Objects.requireNonNull(area, "area");
    Objects.requireNonNull(item, "item");
    Objects.requireNonNull(status, "status");
    detail = detail == null ? "" : detail;
    fix = fix == null || status == CheckStatus.OK ? "" : fix;
  }

  static Check ok(String area, String item, String detail, boolean required) {
    return new Check(area, item, CheckStatus.OK, detail, "", required);
  }

  /** Whether this line makes mlscale unable to run. */
  public boolean blocks() {
    return required && status != CheckStatus.OK;
  }
}
