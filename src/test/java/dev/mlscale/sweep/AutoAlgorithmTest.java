package dev.mlscale.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlscale.spec.SpecLoader;
import java.util.List;
import org.junit.jupiter.api.Test;

class AutoAlgorithmTest {
  private static SweepSpec spec(String algorithm, int params, int categories, int trials) {
    StringBuilder yaml = new StringBuilder("name: a\njob: job.yaml\nobjective: {metric: acc}\n");
    if (algorithm != null) {
      yaml.append("algorithm: ").append(algorithm).append('\n');
    }
    yaml.append("budget: {max_trials: ").append(trials).append("}\nspace:\n");
    for (int i = 0; i < params; i++) {
      yaml.append("  p")
          .append(i)
          .append(i < categories ? ": {choice: [a, b, c]}\n" : ": {uniform: [0, 1]}\n");
    }
    return new SpecLoader().parse(yaml.toString(), "sweep.yaml", SweepSpec.class, List.of());
  }

  @Test
  void withoutAnAlgorithmSmallNumericSweepsGetAGaussianProcessAndSayWhy() {
    SweepSpec s = spec(null, 5, 1, 60);
    assertThat(s.algorithm()).isEqualTo(SweepSpec.Algorithm.GP);
    assertThat(s.algorithmText()).isEqualTo("auto → gp (5 parameters, 60 trials)");
    assertThat(Sampler.of(s)).isInstanceOf(GpSampler.class);
    assertThat(spec("auto", 8, 4, 200).algorithm()).isEqualTo(SweepSpec.Algorithm.GP);
  }

  @Test
  void largeSpacesLongSweepsAndMostlyCategoricalSpacesGetTpe() {
    assertThat(spec(null, 9, 0, 60).algorithmText())
        .isEqualTo("auto → tpe (9 parameters, 60 trials; gp for at most 8 parameters)");
    assertThat(spec("auto", 3, 0, 201).algorithmText())
        .isEqualTo("auto → tpe (3 parameters, 201 trials; gp for at most 200 trials)");
    assertThat(spec(null, 3, 2, 50).algorithmText())
        .isEqualTo(
            "auto → tpe (3 parameters, 50 trials; 2 of them categorical, gp for mostly numeric"
                + " spaces)");
  }

  @Test
  void anAlgorithmAskedForIsKeptAndGridOnlyWhenAsked() {
    assertThat(spec("random", 2, 0, 20).algorithmText()).isEqualTo("random");
    assertThat(spec("tpe", 2, 0, 20).algorithm()).isEqualTo(SweepSpec.Algorithm.TPE);
    SweepSpec allCategories = spec(null, 2, 2, 20);
    assertThat(allCategories.algorithm()).isEqualTo(SweepSpec.Algorithm.TPE);
  }

  @Test
  void theStoredSpecKeepsWhatAutoPickedWhenItIsReadBack() throws Exception {
    SweepSpec picked = spec(null, 2, 0, 30);
    String stored = SpecLoader.mapper().writeValueAsString(picked);
    assertThat(stored).contains("algorithm: \"GP\"").contains("auto_reason");
    SweepSpec resumed = new SpecLoader().parse(stored, "stored", SweepSpec.class, List.of());
    assertThat(resumed.algorithm()).isEqualTo(SweepSpec.Algorithm.GP);
    assertThat(resumed.algorithmText()).isEqualTo("auto → gp (2 parameters, 30 trials)");
  }
}
