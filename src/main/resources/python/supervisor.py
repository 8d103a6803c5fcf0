# mlscale's attempt supervisor: one per mlscale process, started on its first attempt, in a
# session of its own so that it outlives mlscale (kill -9, a closed laptop lid).
#
# It reads one JSON request a line on stdin: {"id": N, "prefix": P, "argv": [...], "cwd": D,
# "env": {...}}. For each it starts argv in a session of its own (the job leads its own process
# group, as under `setsid`), with the environment mlscale started this supervisor with and "env"
# over it (mlscale's own, as a job under a shell gets it, without sending it each time), stdin
# from /dev/null and stdout and stderr appended to P.log. It writes "supervisor-pid job-pid" to
# P.pid and answers "started N PID" (or "failed N WHY", having started nothing: mlscale then
# starts the job under a shell of its own). When the job ends it kills what the job left in its
# process group (as a container's end would), writes the exit status as a shell reports it
# (128+signal when killed) to P.exit and answers "exited N CODE". Both files are written whole or
# not at all (a temporary file, then a rename). Text in requests and files is UTF-8, whatever the
# machine's locale.
#
# When stdin ends (mlscale is done, or died) it starts nothing more, answers nothing more, and
# ends once every job it started has ended and been recorded: the next mlscale adopts those
# records.
import json
import os
import signal
import sys
import threading

lock = threading.Lock()  # one answer at a time; one chdir and spawn at a time


def say(*words):
    line = (" ".join(str(w) for w in words) + "\n").encode("utf-8", "backslashreplace")
    with lock:
        try:
            sys.stdout.buffer.write(line)
            sys.stdout.buffer.flush()
        except (OSError, ValueError):
            pass  # mlscale is gone: the files say it all


def write(path, text):
    tmp = path + b".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def watch(rid, prefix, pid):
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass  # nothing left
    write(prefix + b".exit", "%d\n" % code)
    say("exited", rid, code)


def raw(text):
    """Text from the request as the bytes mlscale meant, whatever this machine's locale is."""
    return text.encode("utf-8", "surrogateescape")


def start(prefix, req):
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, prefix + b".log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    argv = [raw(a) for a in req["argv"]]
    env = dict(os.environb)
    env.update((raw(k), raw(v)) for k, v in req["env"].items())
    with lock:
        os.chdir(raw(req["cwd"]))
        return os.posix_spawn(argv[0], argv, env, file_actions=actions, setsid=True)


def main():
    if sys.version_info < (3, 8):
        sys.exit("mlscale's supervisor needs Python 3.8 or later (os.posix_spawn with setsid)")
    try:
        os.setsid()
    except OSError:
        pass  # started by `setsid` already
    os.chdir("/")
    watchers = []
    for line in sys.stdin.buffer:
        req = json.loads(line)
        rid = req["id"]
        prefix = raw(req["prefix"])
        try:
            pid = start(prefix, req)
        except Exception as e:  # noqa: BLE001 - any reason: mlscale starts it under a shell
            # mlscale starts it again under a shell, which says why in the log as it always did
            say("failed", rid, "cannot start %s: %s" % (req["argv"][0], e))
            continue
        try:
            write(prefix + b".pid", "%d %d\n" % (os.getpid(), pid))
        except OSError as e:
            # a job whose pid nobody can read could never be followed: it goes, and says why
            os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            say("failed", rid, "cannot write %s.pid: %s" % (req["prefix"], e.strerror))
            continue
        say("started", rid, pid)
        t = threading.Thread(target=watch, args=(rid, prefix, pid))
        t.start()
        watchers.append(t)
    # mlscale has closed its end: it reads no more answers, and a thread of a JVM blocked reading
    # this pipe would hold up that JVM's exit by 300 ms
    with lock:
        try:
            sys.stdout.close()
        except OSError:
            pass
    for t in watchers:
        t.join()


if __name__ == "__main__":
    main()
