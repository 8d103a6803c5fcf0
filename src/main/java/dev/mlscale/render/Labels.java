package dev.mlscale.render;

/** The labels and annotations that mark what mlscale owns on a cluster. */
public final class Labels {
  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String MLSCALE = "mlscale";
  public static final String RUN = "mlscale.dev/run";
  public static final String JOB_NAME = "mlscale.dev/job";
  public static final String ATTEMPT = "mlscale.dev/attempt";
  public static final String PARAMS = "mlscale.dev/params";
  public static final String SPEC_FILE = "mlscale.dev/spec-file";
  public static final String ROWS = "mlscale.dev/rows";
  public static final String MODEL = "mlscale.dev/model";

  private Labels() {}
}
