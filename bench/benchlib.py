"""Shared by the benchmark drivers in bench/: the module to measure, the fake AWS, php-fpm pools and nginx
(through tests/lib/fpm), wrk, and cleanup of everything started. Python standard library only."""

import atexit
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FPM_LIB = ROOT / "tests/lib/fpm"
FAKE = ROOT / "tests/fake_aws/fake_aws.py"
KEY_ID = "AKIDFAKEEXAMPLE"
SECRET_KEY = "fakeSecretKeyForTestsOnly/0123456789ABCD"
SECRET_ID = "bench/db"
# A made-up password of a realistic length (32 characters); the same string for every baseline.
PASSWORD = "bench-Pw-0123456789-abcdefghijkl"
SECRET = json.dumps({"username": "app", "password": PASSWORD, "engine": "mysql", "host": "127.0.0.1",
                     "port": 3306, "dbname": "wp"})
PHP_EXT_DIR = subprocess.run(["php", "-n", "-r", "echo ini_get('extension_dir');"], capture_output=True,
                             text=True).stdout.strip()

WORK = Path(tempfile.mkdtemp(prefix="rdssecret-bench-"))
_started = []   # (kind, handle) to stop at exit


def note(msg):
    print(msg, flush=True)


def cleanup():
    while _started:
        try:
            _stop(*_started.pop())
        except Exception:  # noqa: BLE001 - keep stopping the rest
            pass
    shutil.rmtree(WORK, ignore_errors=True)


def _on_signal(signum, _frame):
    cleanup()
    sys.exit(128 + signum)


atexit.register(cleanup)
for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_sig, _on_signal)


def module():
    """The rdssecret.so to measure: $RDSSECRET_MODULE, else built from this work tree in a temporary copy
    (-O2, as scripts/build-extension builds it), so the tree itself is not touched."""
    if os.environ.get("RDSSECRET_MODULE"):
        return Path(os.environ["RDSSECRET_MODULE"]).resolve()
    tree = WORK / "build"
    files = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           capture_output=True, check=True).stdout.decode().split("\0")
    for f in files:
        if f and (ROOT / f).is_file():
            (tree / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, tree / f)
    out = subprocess.run(["bash", "scripts/build-extension"], cwd=tree, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("build failed:\n" + (out.stdout + out.stderr)[-3000:])
    so = WORK / "rdssecret.so"
    shutil.copy2(tree / "modules/rdssecret.so", so)
    shutil.rmtree(tree, ignore_errors=True)
    return so


class Fake:
    def __init__(self):
        self.proc = subprocess.Popen(["/usr/bin/python3", str(FAKE), "--port", "0", "--exit-on-stdin-eof"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        _started.append(("proc", self.proc))
        self.url = "http://127.0.0.1:%d" % json.loads(self.proc.stdout.readline())["http_port"]
        self.control("put_secret", {"Name": SECRET_ID, "SecretString": SECRET})

    def control(self, action, body=None):
        req = urllib.request.Request("%s/__control/%s" % (self.url, action), data=json.dumps(body or {}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"{}")

    def gsv(self):
        return int(self.control("counts").get("GetSecretValue", 0))

    def env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_REGION": "us-east-1",
                    "AWS_EC2_METADATA_DISABLED": "true", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
                    "AWS_CONFIG_FILE": "/nonexistent", "AWS_ENDPOINT_URL_SECRETS_MANAGER": self.url})
        return env


def fpm_start(name, fake, so, workers, ini, php_args="", pool_extra=""):
    d = WORK / name
    env = fake.env()
    env.update({"FPM_WORKERS": str(workers), "FPM_EXTENSION": str(so), "FPM_PHP_ARGS": php_args,
                "FPM_POOL_EXTRA": pool_extra})
    settings = {"rdssecret.secret_id": SECRET_ID}
    settings.update(ini)
    out = subprocess.run(["bash", str(FPM_LIB), "start", str(d)] + ["%s=%s" % kv for kv in settings.items()],
                         env=env, capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        sys.exit("php-fpm did not start: " + out.stderr[-2000:])
    _started.append(("fpm", d))
    return d / "php-fpm.sock"


def nginx_start(name, docroot, sockets):
    d = WORK / name
    out = subprocess.run(["bash", str(FPM_LIB), "nginx-start", str(d), str(docroot)] + [str(s) for s in sockets],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        sys.exit("nginx did not start: " + out.stderr[-2000:])
    _started.append(("nginx", d))
    return int(re.search(r"NGINX_PORT=(\d+)", out.stdout).group(1))


def _stop(kind, h):
    if kind == "fpm":
        subprocess.run(["bash", str(FPM_LIB), "stop", str(h)], capture_output=True, timeout=60)
    elif kind == "nginx":
        subprocess.run(["bash", str(FPM_LIB), "nginx-stop", str(h)], capture_output=True, timeout=60)
    elif kind == "proc" and h.poll() is None:
        h.terminate()
        h.wait(10)


def stop_all():
    """Stop every server started so far (the fake included), keep WORK."""
    while _started:
        _stop(*_started.pop())


def stop_all_but_fake():
    """Stop every php-fpm and nginx started so far; the fake AWS keeps running (and counting)."""
    keep = [x for x in _started if x[0] == "proc"]
    for x in reversed([x for x in _started if x[0] != "proc"]):
        _stop(*x)
    _started[:] = keep


def wrk(url, seconds, connections=16, threads=2, script=None):
    """Requests per second, requests, and the count of non-2xx/socket errors of one wrk run."""
    cmd = ["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % seconds] + (["-s", str(script)] if script else [])
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        errors += int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        errors += sum(int(x) for x in m.groups())
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return rps, requests, errors


def median(xs):
    return statistics.median(xs)


def machine():
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    php = subprocess.run(["php", "-n", "-r", "echo PHP_VERSION;"], capture_output=True, text=True).stdout
    return "%d cores (%s), PHP %s" % (os.cpu_count() or 0, cpu, php)
