"""mlscale's job helper: report metrics, read parameters, find where to save the model.

Dependency-free; mlscale puts this file on PYTHONPATH of every job it runs, so a training script
just does ``from mlscale import report``. Metrics can also be reported without it by printing a
line ``mlscale:metric step=3 accuracy=0.91`` or by appending JSON lines to $MLSCALE_METRICS_FILE.
"""

import json
import math
import numbers
import os
import re
import sys
import time

__all__ = ["report", "params", "output_dir"]


def report(step=None, **metrics):
    """Reports one or more metrics, e.g. ``report(step=3, accuracy=0.91, loss=0.2)``.

    The values must be real numbers. mlscale stores every reported value; the last one of each
    metric is the run's final value.
    """
    if not metrics:
        raise ValueError("report() needs at least one metric, e.g. report(accuracy=0.9)")
    clean = {}
    for name, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError("metric %r must be a number, got %r" % (name, value))
        value = float(value)
        if math.isnan(value) or math.isinf(value):
            raise ValueError("metric %r is %r; report only finite numbers" % (name, value))
        clean[name] = value
    if step is not None:
        step = int(step)
    path = os.environ.get("MLSCALE_METRICS_FILE")
    pairs = " ".join("%s=%s" % (k, _fmt(v)) for k, v in clean.items())
    prefix = "" if step is None else "step=%d " % step
    if path:
        record = dict(clean)
        if step is not None:
            record["step"] = step
        record["time"] = time.time()
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        print("[metrics] " + prefix + pairs, flush=True)
    else:
        print("mlscale:metric " + prefix + pairs, flush=True)
    _LAST.update(clean)
    if step is not None:
        _LAST["step"] = step
    _write_termination_message()
    _write_pipeline_metrics()


_LAST = {}


def _write_termination_message(text=None):
    """On Kubernetes, keeps the latest value of every metric in the termination message, so the
    result survives even when the pod ends before its logs are read; or, given a text, says why
    the pod ended (a culled notebook, a gang whose peers never came)."""
    path = os.environ.get("MLSCALE_TERMINATION_LOG")
    if not path:
        return
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write((json.dumps(_LAST) if text is None else text)[:4000])
    except OSError:
        pass


_PIPELINE_WRITE = {"last": 0.0, "hooked": False}


def _write_pipeline_metrics(final=False):
    """In a pipeline, keeps the latest metrics in the shared workspace, where the Slack notice
    and register_model find the best run: $MLSCALE_WORKSPACE/.mlscale/metrics/<run id>.json.
    Written at most every 10 s while the job reports, and once more when it exits, so a job
    that reports every step does not flood the shared (NFS) volume."""
    if not final:
        if not _PIPELINE_WRITE["hooked"]:
            import atexit

            atexit.register(_write_pipeline_metrics, True)
            _PIPELINE_WRITE["hooked"] = True
        if time.time() - _PIPELINE_WRITE["last"] < 10:
            return
    _PIPELINE_WRITE["last"] = time.time()
    workspace = os.environ.get("MLSCALE_WORKSPACE")
    run = os.environ.get("MLSCALE_RUN_ID")
    if not workspace or not run or not os.environ.get("MLSCALE_PIPELINE_RUN"):
        return
    if os.environ.get("MLSCALE_WORKER_INDEX", "0") != "0":
        return  # a distributed run's metrics are worker 0's
    try:
        folder = os.path.join(workspace, ".mlscale", "metrics")
        os.makedirs(folder, exist_ok=True)
        tmp = os.path.join(folder, ".%s.%d" % (run, os.getpid()))
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(_LAST, f)
        os.replace(tmp, os.path.join(folder, run + ".json"))
    except OSError:
        pass


def params(default=None):
    """The job's hyper-parameters (the spec's ``params``) as a dict."""
    path = os.environ.get("MLSCALE_PARAMS_FILE")
    if not path or not os.path.exists(path):
        return {} if default is None else dict(default)
    with open(path, encoding="utf-8") as f:
        values = json.load(f)
    if default is not None:
        merged = dict(default)
        merged.update(values)
        return merged
    return values


def output_dir():
    """The directory to save the model in; mlscale registers its content after success."""
    path = os.environ.get("MLSCALE_OUTPUT_DIR") or os.path.join(os.getcwd(), "output")
    os.makedirs(path, exist_ok=True)
    return path


def _fmt(value):
    return ("%.6g" % value) if not float(value).is_integer() else str(int(value))


def _run_row():
    """Starts one row of an Indexed Job: `python3 -m mlscale row` (mlscale renders this command).

    Reads the row JOB_COMPLETION_INDEX from rows.json, writes its params to a file, and replaces
    this process with the row's command (no shell)."""
    import tempfile

    index = int(os.environ["JOB_COMPLETION_INDEX"])
    rows_file = os.environ.get("MLSCALE_ROWS_FILE", "/etc/mlscale/files/rows.json")
    with open(rows_file, encoding="utf-8") as f:
        rows = json.load(f)
    if index >= len(rows):
        sys.exit("mlscale: row %d does not exist in %s (%d rows)" % (index, rows_file, len(rows)))
    row = rows[index]
    fd, params_path = tempfile.mkstemp(prefix="mlscale-params-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(row["params"], f)
    env = dict(os.environ)
    env.update(MLSCALE_PARAMS_FILE=params_path, MLSCALE_RUN_ID=row["run"], MLSCALE_ROW=str(index))
    print("mlscale: row %d (%s): %s" % (index, row["run"], " ".join(row["argv"])), flush=True)
    os.execvpe(row["argv"][0], row["argv"], env)


def _run_worker():
    """Starts a distributed run's worker on Kubernetes: `python3 -m mlscale worker ARGV...`
    (mlscale renders it when the job saves a model). Worker 0 keeps $MLSCALE_OUTPUT_DIR, the
    model store's folder; the others get a scratch folder, so only worker 0's model is kept.
    Then it replaces itself with ARGV (no shell)."""
    import socket
    import tempfile

    argv = sys.argv[2:]
    _wait_for_peers(socket)
    if os.environ.get("MLSCALE_WORKER_INDEX", "0") != "0":
        os.environ["MLSCALE_OUTPUT_DIR"] = tempfile.mkdtemp(prefix="mlscale-worker-output-")
    os.execvp(argv[0], argv)


def _wait_for_peers(socket):
    """A gang starts together or not at all: wait until every worker's name resolves (the
    headless Service publishes a pod's address once it is scheduled and started), at most
    $MLSCALE_GANG_START_TIMEOUT seconds; then exit 75 saying which workers never came, so the
    Job fails at once (its pod failure policy) instead of a worker waiting for peers forever."""
    timeout = float(os.environ.get("MLSCALE_GANG_START_TIMEOUT", "0") or 0)
    hosts = [h.rsplit(":", 1)[0] for h in os.environ.get("MLSCALE_WORKER_HOSTS", "").split(",") if h]
    if timeout <= 0 or not hosts:
        return
    deadline = time.monotonic() + timeout
    missing = list(hosts)
    while True:
        still = []
        for host in missing:
            try:
                socket.getaddrinfo(host, None)
            except OSError:
                still.append(host)
        missing = still
        if not missing:
            return
        if time.monotonic() >= deadline:
            break
        time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
    why = ("gang not started: %d of %d workers had no address after %gs (%s); the cluster could "
           "not run all workers at once: check 'mlscale status' for why they wait, or raise "
           "distributed.start_timeout" % (len(missing), len(hosts), timeout, ", ".join(missing)))
    print("[mlscale] " + why, file=sys.stderr, flush=True)
    _write_termination_message(why)
    sys.exit(75)


def _failed_tasks(raw, workflow):
    """The failed tasks in Argo's {{workflow.failures}}: a JSON list of the Failed/Error nodes,
    which Argo hands over quoted once more (a JSON string holding the JSON), or "null". Drops
    the nodes that are not tasks (the workflow's own DAG node, a fan-out's group when its items
    are listed, the tries of a retried task, which its Retry node stands for)."""
    try:
        value = json.loads(raw) if raw.strip() else None
        if isinstance(value, str):
            value = json.loads(value) if value.strip() else None
    except ValueError:
        value = None
    names = [str(f.get("displayName", "?")) for f in value or [] if isinstance(f, dict)]
    out = []
    for name in names:
        if name == workflow or name == workflow + ".onExit":
            continue
        if re.match(r"^.+\(\d+\)$", name):
            continue  # a try of a retried node
        if any(other.startswith(name + "(") and not re.match(r"^.+\(\d+\)$", other)
               for other in names):
            continue  # a fan-out group whose failed items are listed
        match = re.match(r"^(.+?)\((\d+):.*\)$", name)
        out.append("%s-%s" % match.groups() if match else name)
    return out


def _slack_tasks():
    """What ran: the task count (from mlscale) and, in the exit task, which ones failed."""
    total = int(os.environ.get("MLSCALE_SLACK_TASKS", "0"))
    if "MLSCALE_SLACK_FAILURES" not in os.environ:
        return "%d tasks" % total  # not the exit task: nothing has ended for sure
    failed = _failed_tasks(
        os.environ["MLSCALE_SLACK_FAILURES"], os.environ.get("MLSCALE_PIPELINE_RUN", ""))
    if not failed:
        return "%d tasks: none failed" % total
    shown = ", ".join(failed[:5]) + (", ..." if len(failed) > 5 else "")
    return "%d tasks: %d failed (%s)" % (total, len(failed), shown)


def _slack_best():
    """The best value of $MLSCALE_SLACK_BEST_METRIC over the runs' metrics in the workspace."""
    metric = os.environ.get("MLSCALE_SLACK_BEST_METRIC")
    if not metric:
        return ""
    goal = os.environ.get("MLSCALE_SLACK_GOAL", "max")
    folder = os.path.join(os.environ.get("MLSCALE_WORKSPACE", "."), ".mlscale", "metrics")
    prefix = os.environ.get("MLSCALE_PIPELINE_RUN", "") + "-"
    best = None
    for entry in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if not entry.endswith(".json") or entry.startswith("."):
            continue
        try:
            with open(os.path.join(folder, entry), encoding="utf-8") as f:
                value = json.load(f).get(metric)
        except (OSError, ValueError):
            continue
        if not isinstance(value, (int, float)):
            continue
        run = entry[: -len(".json")]
        if prefix != "-" and not run.startswith(prefix):
            continue  # another run's, on a claim that was used before: not this pipeline's
        task = run[len(prefix):] if run.startswith(prefix) else run
        if best is None or (value < best[0] if goal == "min" else value > best[0]):
            best = (value, task)
    if best is None:
        return "%s: no task reported it" % metric
    return "%s=%.4g (%s)" % (metric, best[0], best[1])


def _slack():
    """Posts $MLSCALE_SLACK_TEXT to the Slack incoming webhook $MLSCALE_SLACK_URL (for pipelines
    on the cluster: `python3 -m mlscale slack`)."""
    import urllib.request

    text = os.environ.get("MLSCALE_SLACK_TEXT", "")
    if "@@tasks@@" in text:
        text = text.replace("@@tasks@@", _slack_tasks())
    if "@@best@@" in text:
        text = text.replace("@@best@@", _slack_best())
    body = json.dumps({"text": text}).encode("utf-8")
    request = urllib.request.Request(
        os.environ["MLSCALE_SLACK_URL"], data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        print("slack answered HTTP %d: %s" % (response.status, text))


def _register_model():
    """Registers a model of a pipeline on the cluster (`python3 -m mlscale register-model`): the
    model of the run in $MLSCALE_BEST_RUNS ({run id: its model folder in the model storage}) with
    the best $MLSCALE_BEST_METRIC, as read from the metrics the runs left in the workspace, or the
    workspace path $MLSCALE_MODEL_FROM. It is copied to models/NAME/PIPELINE_RUN in the model
    storage, and to $MLSCALE_MODEL_TO in the workspace if set."""
    import shutil

    workspace = os.environ["MLSCALE_WORKSPACE"]
    root = os.environ["MLSCALE_MODELS_ROOT"]
    name = os.environ["MLSCALE_MODEL_NAME"]
    pipeline_run = os.environ["MLSCALE_PIPELINE_RUN"]
    runs = json.loads(os.environ.get("MLSCALE_BEST_RUNS") or "{}")
    sequence = json.loads(os.environ.get("MLSCALE_BEST_SEQUENCE") or "null")
    if sequence:  # a fan-out: runs RUN-0..RUN-(n-1), models in FOLDER0..FOLDER(n-1)
        for i in range(int(sequence["count"])):
            runs[sequence["run"] + str(i)] = sequence["folder"] + str(i)
    info = {"pipeline_run": pipeline_run}
    if runs:
        metric = os.environ["MLSCALE_BEST_METRIC"]
        goal = os.environ.get("MLSCALE_BEST_GOAL", "max")
        best = None
        for run_id, folder in runs.items():
            try:
                path = os.path.join(workspace, ".mlscale", "metrics", run_id + ".json")
                with open(path, encoding="utf-8") as f:
                    value = json.load(f).get(metric)
            except (OSError, ValueError):
                continue
            if not isinstance(value, (int, float)):
                continue
            if best is None or (value < best[0] if goal == "min" else value > best[0]):
                best = (value, run_id, folder)
        if best is None:
            sys.exit("mlscale: no run reported %s (runs: %s)" % (metric, ", ".join(runs)))
        source = os.path.join(root, best[2])
        info.update(run=best[1], metric=metric, value=best[0])
        picked = " from %s (%s=%.4g)" % (best[1], metric, best[0])
    else:
        source = os.path.join(workspace, os.environ["MLSCALE_MODEL_FROM"])
        picked = " from the workspace's " + os.environ["MLSCALE_MODEL_FROM"]
    if not os.path.exists(source):
        sys.exit("mlscale: %s does not exist: no model to register" % source)

    def copy(to):
        if os.path.isdir(source):
            shutil.copytree(source, to, dirs_exist_ok=True)
        else:
            os.makedirs(to, exist_ok=True)
            shutil.copy2(source, to)

    target = os.path.join(root, "models", name, pipeline_run)
    copy(target)
    with open(os.path.join(target, "mlscale-model.json"), "w", encoding="utf-8") as f:
        json.dump(info, f)
    to = os.environ.get("MLSCALE_MODEL_TO")
    if to:
        copy(os.path.join(workspace, to))
    print("registered %s (models/%s/%s)%s" % (name, name, pipeline_run, picked), flush=True)


def _setup_failed(message, code=3):
    """Ends the setup container with a one-line reason that mlscale shows as it is."""
    print("mlscale setup: " + message, file=sys.stderr, flush=True)
    try:
        with open("/dev/termination-log", "w", encoding="utf-8") as f:
            f.write(message[:4000])
    except OSError:
        pass
    sys.exit(code)


def _pip_error(lines):
    """pip's own reason for a failed install: its last 'ERROR:' line, else its last line."""
    errors = [l[len("ERROR:"):].strip() for l in lines if l.startswith("ERROR:")]
    if errors:
        return errors[-1]
    tail = [l.strip() for l in lines if l.strip()]
    return tail[-1] if tail else "no output"


def _setup_step(argv, env, what, echo=True):
    """Runs one setup step, its output passed through; a failure ends setup with its reason.

    ``what`` None means pip install: the reason is pip's own last error, and the command line
    is not echoed here (it may carry index credentials; the caller shows a redacted one).
    """
    import subprocess

    if echo:
        print("$ " + " ".join(argv), flush=True)
    try:
        p = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, errors="replace")
    except OSError as e:
        _setup_failed("setup failed: %s: %s" % (what or "pip install", e))
    lines = []
    for line in p.stdout:
        sys.stdout.write(line)
        lines.append(line.rstrip("\n"))
        del lines[:-200]
    sys.stdout.flush()
    if p.wait() != 0:
        _setup_failed("setup failed: %s" % _pip_error(lines) if what is None
                      else "setup failed: %s exited with code %d: %s"
                      % (what, p.returncode, _pip_error(lines)))


def _setup():
    """Builds the job's environment once per key in a shared cache (mlscale setup ...).

    Two pods that start together never both build it: the builder holds an exclusive lock on
    KEY.lock; the environment counts as ready only when KEY/.mlscale-ready exists, written last,
    so a half-built one (a pod killed mid-install) is removed and built again, never used.
    """
    import argparse
    import fcntl
    import shlex
    import shutil
    from urllib.parse import quote, urlsplit, urlunsplit

    p = argparse.ArgumentParser(prog="mlscale setup")
    p.add_argument("--key", required=True)
    p.add_argument("--cache", required=True)
    p.add_argument("--image", default="the job's image")
    p.add_argument("--requirements")
    p.add_argument("--command", action="append", default=[])
    p.add_argument("--index-url")
    p.add_argument("--extra-index-url", action="append", default=[])
    p.add_argument("--wheelhouse")
    p.add_argument("--package", action="append", default=[],
                   help="a requirement installed after the requirements file (the notebook's"
                        " jupyterlab)")
    a = p.parse_args(sys.argv[2:])
    env_dir = os.path.join(a.cache, a.key)
    ready = os.path.join(env_dir, ".mlscale-ready")
    t0 = time.time()
    if os.path.exists(ready):
        print("mlscale setup: environment %s is ready in the cache; nothing to install" % a.key,
              flush=True)
        return
    try:
        import ensurepip  # noqa: F401  (a venv without pip cannot install anything)
        import venv  # noqa: F401
    except ImportError:
        _setup_failed("setup failed: the image %s has %s but not its venv module (ensurepip);"
                      " use an image with a full Python, e.g. python:3.11-slim, or install"
                      " python3-venv in it" % (a.image, sys.executable))
    os.makedirs(a.cache, exist_ok=True)
    with open(os.path.join(a.cache, a.key + ".lock"), "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            print("mlscale setup: another pod is building environment %s; waiting for it"
                  % a.key, flush=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(ready):
            print("mlscale setup: environment %s was built by another pod while this one waited;"
                  " nothing to install" % a.key, flush=True)
            return
        if os.path.lexists(env_dir):
            print("mlscale setup: removing an unfinished environment %s" % a.key, flush=True)
            shutil.rmtree(env_dir, ignore_errors=True)
        print("mlscale setup: building environment %s" % a.key, flush=True)
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        env["VIRTUAL_ENV"] = env_dir
        env["PATH"] = os.path.join(env_dir, "bin") + os.pathsep + env.get("PATH", "")
        env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        env["PIP_NO_INPUT"] = "1"
        _setup_step([sys.executable, "-m", "venv", env_dir], env, "python -m venv")
        if a.requirements or a.package:
            user = os.environ.get("MLSCALE_INDEX_USERNAME")
            secret = os.environ.get("MLSCALE_INDEX_PASSWORD")

            def with_credentials(url):
                if not user:
                    return url
                parts = urlsplit(url)
                netloc = "%s:%s@%s" % (quote(user, safe=""), quote(secret or "", safe=""),
                                       parts.netloc)
                return urlunsplit(parts._replace(netloc=netloc))

            pip = [os.path.join(env_dir, "bin", "python"), "-m", "pip", "install",
                   "--progress-bar", "off"]
            pip += ["-r", a.requirements] if a.requirements else []
            pip += a.package
            if a.index_url:
                pip += ["--index-url", with_credentials(a.index_url)]
            for url in a.extra_index_url:
                pip += ["--extra-index-url", with_credentials(url)]
            # An index the user named with http:// is one they trust (on-prem mirrors often are
            # plain http); pip ignores such an index unless told so.
            for url in ([a.index_url] if a.index_url else []) + a.extra_index_url:
                if urlsplit(url).scheme == "http":
                    pip += ["--trusted-host", urlsplit(url).netloc.rsplit("@", 1)[-1]]
            if a.wheelhouse:
                pip += ["--find-links", a.wheelhouse]
                if not a.index_url:
                    pip += ["--no-index"]
            shown = [w if not user or "://" not in w else "<index with credentials>" for w in pip]
            print("$ " + " ".join(shown), flush=True)
            _setup_step(pip, env, None, echo=False)
        for command in a.command:
            words = shlex.split(command)
            if words:
                _setup_step(words, env, "setup command '%s'" % command)
        with open(ready, "w", encoding="utf-8") as f:
            f.write(a.key + "\n")
        print("mlscale setup: environment %s built in %.1fs" % (a.key, time.time() - t0),
              flush=True)


def _notebook_get(port, token, path):
    """GET a Jupyter API path as JSON, with the token, without counting as activity."""
    import urllib.request

    sep = "&" if "?" in path else "?"
    req = urllib.request.Request("http://127.0.0.1:%d%s%sno_track_activity=1" % (port, path, sep),
                                 headers={"Authorization": "token " + token})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read().decode("utf-8"))


def _notebook_idle_seconds(port, token):
    """Seconds since the server last saw activity (API requests, kernel messages); 0 while a
    kernel is busy (a long computation that prints nothing is not idle)."""
    from datetime import datetime, timezone

    kernels = _notebook_get(port, token, "/api/kernels")
    if any(k.get("execution_state") == "busy" for k in kernels):
        return 0.0
    last = _notebook_get(port, token, "/api/status")["last_activity"]
    then = datetime.fromisoformat(last.replace("Z", "+00:00"))
    return (datetime.now(timezone.utc) - then).total_seconds()


def _notebook():
    """Runs a Jupyter server as a child and stops it when idle (mlscale notebook ...).

    python -m mlscale notebook --port P --idle-timeout SECONDS [--check-every S] -- jupyter lab ...
    The token comes from $JUPYTER_TOKEN (Jupyter reads it too), never from the command line.
    Prints 'mlscale notebook: ready' once the server answers; when the server has seen no activity
    and no busy kernel for idle-timeout seconds (0: never), it is stopped with SIGTERM (Jupyter
    shuts its kernels down) and this exits 0 with the reason in the termination message.
    """
    import argparse
    import signal
    import subprocess
    import urllib.error

    p = argparse.ArgumentParser(prog="mlscale notebook")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--idle-timeout", type=float, default=3600)
    p.add_argument("--check-every", type=float, default=0)
    p.add_argument("--ready-timeout", type=float, default=600)
    p.add_argument("server", nargs=argparse.REMAINDER)
    a = p.parse_args(sys.argv[2:])
    server = a.server[1:] if a.server[:1] == ["--"] else a.server
    token = os.environ.get("JUPYTER_TOKEN", "")
    if not server or not token:
        sys.exit("mlscale notebook: needs a server command after -- and $JUPYTER_TOKEN")
    check = a.check_every or max(1.0, min(60.0, a.idle_timeout / 4))
    child = subprocess.Popen(server)
    stopping = {"why": None}

    def stop(why, code):
        stopping["why"] = why
        print("mlscale notebook: " + why, flush=True)
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        sys.exit(code)

    signal.signal(signal.SIGTERM, lambda *_: stop("stopped (SIGTERM)", 0))
    signal.signal(signal.SIGINT, lambda *_: stop("stopped (SIGINT)", 0))
    started = time.time()
    while True:
        if child.poll() is not None:
            sys.exit("mlscale notebook: the server exited with code %d before it was ready"
                     % child.returncode)
        try:
            _notebook_get(a.port, token, "/api/status")
            break
        except (OSError, urllib.error.URLError, ValueError):
            if time.time() - started > a.ready_timeout:
                stop("the server did not answer on port %d within %ds" % (a.port, a.ready_timeout),
                     3)
            time.sleep(0.2)
    print("mlscale notebook: ready on port %d (idle timeout %s)"
          % (a.port, "none" if a.idle_timeout <= 0 else "%gs" % a.idle_timeout), flush=True)
    while True:
        try:
            child.wait(timeout=check)
            sys.exit("mlscale notebook: the server exited with code %d" % child.returncode)
        except subprocess.TimeoutExpired:
            pass
        if a.idle_timeout <= 0:
            continue
        try:
            idle = _notebook_idle_seconds(a.port, token)
        except (OSError, urllib.error.URLError, ValueError):
            continue
        if idle >= a.idle_timeout:
            why = "culled: no activity for %ds (idle timeout %gs)" % (idle, a.idle_timeout)
            _write_termination_message(why)
            stop(why, 0)


if __name__ == "__main__":
    if sys.argv[1:2] == ["notebook"]:
        _notebook()
    if sys.argv[1:2] == ["setup"]:
        _setup()
        sys.exit(0)
    if sys.argv[1:2] == ["row"]:
        _run_row()
    if sys.argv[1:2] == ["worker"]:
        _run_worker()
    if sys.argv[1:2] == ["register-model"]:
        _register_model()
        sys.exit(0)
    if sys.argv[1:2] == ["slack"]:
        _slack()
        sys.exit(0)
    sys.exit("mlscale.py is a library: from mlscale import report")
