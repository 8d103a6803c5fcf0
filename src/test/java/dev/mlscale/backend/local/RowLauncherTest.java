package dev.mlscale.backend.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The row launcher of Indexed Jobs ({@code python3 -m mlscale row}) with real Python: it picks its
 * row by JOB_COMPLETION_INDEX, writes the row's params and execs the row's command.
 */
class RowLauncherTest {
  @Test
  void execsTheCommandOfItsRowWithThatRowsParams(@TempDir Path dir) throws Exception {
    Files.write(dir.resolve("mlscale.py"), PythonHelper.source());
    Path rows = dir.resolve("rows.json");
    String show =
        "import json, os, sys; print(os.environ['MLSCALE_RUN_ID'], sys.argv[1:],"
            + " json.load(open(os.environ['MLSCALE_PARAMS_FILE'])))";
    Files.writeString(
        rows,
        "[{\"run\": \"g-r0\", \"argv\": [\"python3\", \"-c\", \""
            + show.replace("'", "'")
            + "\", \"a\"], \"params\": {\"lr\": 0.1}},"
            + " {\"run\": \"g-r1\", \"argv\": [\"python3\", \"-c\", \""
            + show
            + "\", \"b\"], \"params\": {\"lr\": 0.01}}]");
    ProcessBuilder pb =
        new ProcessBuilder("python3", "-m", "mlscale", "row").directory(dir.toFile());
    pb.environment().put("PYTHONPATH", dir.toString());
    pb.environment().put("MLSCALE_ROWS_FILE", rows.toString());
    pb.environment().put("JOB_COMPLETION_INDEX", "1");
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    assertThat(out).contains("mlscale: row 1 (g-r1)").contains("g-r1 ['b'] {'lr': 0.01}");
  }
}
