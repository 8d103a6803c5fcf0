package dev.mlscale.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlscale.spec.SpecLoader;
import dev.mlscale.sweep.SweepSpec;
import dev.mlscale.sweep.Trial;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.data.xy.XYSeriesCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SweepReportTest {
  static SweepSpec spec() {
    return new SpecLoader()
        .parse(
            """
            name: s
            job: job.yaml
            objective: {metric: loss, goal: minimize}
            seed: 7
            budget: {max_trials: 30}
            space:
              lr: {loguniform: [1.0e-5, 1.0e-1]}
              act: {choice: [relu, tanh]}
              layers: {int: [1, 4]}
            """,
            "sweep.yaml",
            SweepSpec.class,
            List.of());
  }

  static List<Trial> trials() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("lr", 1e-4);
    p.put("act", "tanh");
    p.put("layers", 3L);
    return List.of(
        new Trial(0, p, Trial.TrialState.COMPLETED, 0.00025, "r0", null),
        new Trial(1, p, Trial.TrialState.PRUNED, 0.5, "r1", "stopped at step 3"),
        new Trial(2, p, Trial.TrialState.COMPLETED, 3.0, "r2", null));
  }

  @Test
  void plotsNameCategoriesMarkPrunedTrialsApartAndTakeALogObjectiveOnRequest() {
    XYPlot act =
        (XYPlot)
            SweepReport.paramChart(spec(), trials(), "act", spec().dimensions().get("act"))
                .getPlot();
    assertThat(act.getDomainAxis()).isInstanceOf(SymbolAxis.class);
    assertThat(((SymbolAxis) act.getDomainAxis()).getSymbols()).containsExactly("relu", "tanh");
    XYPlot objective = (XYPlot) SweepReport.objectiveChart(spec(), trials(), true).getPlot();
    assertThat(objective.getRangeAxis()).isInstanceOf(LogAxis.class);
    XYSeriesCollection data = (XYSeriesCollection) objective.getDataset();
    assertThat(data.getSeries(2).getKey()).isEqualTo("pruned (last value)");
    assertThat(data.getSeries(2).getItemCount()).isEqualTo(1);
    assertThat(data.getSeries(0).getItemCount()).isEqualTo(2);
    XYPlot linear = (XYPlot) SweepReport.objectiveChart(spec(), trials(), false).getPlot();
    assertThat(linear.getRangeAxis()).isNotInstanceOf(LogAxis.class);
  }

  @Test
  void thePageShowsParametersInTheSpacesOrderAndNumbersAsPeopleWriteThem(@TempDir Path dir)
      throws Exception {
    SweepSpec spec = spec();
    Map<String, Object> backwards = new LinkedHashMap<>();
    backwards.put("layers", 3L);
    backwards.put("act", "tanh");
    backwards.put("lr", 1e-4);
    List<Trial> trials =
        List.of(
            new Trial(0, backwards, Trial.TrialState.COMPLETED, 0.00025, "r0", null),
            new Trial(1, backwards, Trial.TrialState.PRUNED, 0.5, "r1", "stopped at step 3"));
    SweepReport.write(dir, "s-1", spec, trials);
    String html = Files.readString(dir.resolve("index.html"));
    assertThat(html)
        .contains("lr=0.0001 act=tanh layers=3")
        .contains("<td>0.00025</td>")
        .contains("auto → gp (3 parameters, 30 trials), seed 7")
        .doesNotContain("E-4")
        .doesNotContain("e-4");
    assertThat(dir.resolve("param-act.png")).isNotEmptyFile();
  }

  @Test
  void aTrialKeepsTheOrderItsParametersWereGivenIn() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("z", 1L);
    p.put("a", 2L);
    p.put("m", 3L);
    Trial t = new Trial(0, p, Trial.TrialState.RUNNING, null, "r", null);
    assertThat(t.params().keySet()).containsExactly("z", "a", "m");
    assertThat(t.inOrder(List.of("m", "z")).params().keySet()).containsExactly("m", "z", "a");
  }
}
