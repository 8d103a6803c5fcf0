package dev.mlscale.spec;

/**
 * Where a job's results go. The job writes its model into the directory named by {@code
 * $MLSCALE_OUTPUT_DIR}; after a successful run that directory becomes a new version of the model
 * {@code model} in the model store.
 */
public record Outputs(String model) {
  public Outputs {
    SpecFieldException.require(model, "model", "the name to register the saved model under");
    SpecFieldException.check(
        JobSpec.NAME.matcher(model).matches(),
        "model",
        "model name '"
            + model
            + "' may only hold letters, digits, '.', '_' and '-', and must start with a letter or"
            + " digit");
  }
}
