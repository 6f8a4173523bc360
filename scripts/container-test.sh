#!/usr/bin/env bash
# Container smoke test: builds the image from this work tree, starts it on a free loopback port, waits until
# /api/health says the app and its model are ready, then checks the page, the health answer, the image's own
# HEALTHCHECK and one recommendation; stops and removes the container whatever happens. Exits non-zero with
# the reason (and the container's log) on any failure; prints the image size and the timings.
#
#   scripts/container-test.sh            # IMAGE=localhost/streaming-atlas READY_TIMEOUT=120 (seconds)
#
# Needs podman (../shared/tools/container-base.sh installs it and makes the local Debian base image, and is run
# here when the base image is missing) and python3 on the host for the HTTP checks. Only 127.0.0.1 is contacted.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-localhost/streaming-atlas}
READY_TIMEOUT=${READY_TIMEOUT:-120}
BASE=docker.io/library/debian:bookworm-slim
NAME="streaming-atlas-test-$$"
# The flags this sandbox needs (see ../shared/tools/container-base.sh); harmless on an ordinary host.
PODMAN_RUN=(podman --runtime runc --cgroup-manager=cgroupfs)
LIMITS=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
started=$(date +%s)
workdir=$(mktemp -d)
container_started=0

fail() {
    echo "container-test: FAIL: $*" >&2
    exit 1
}

cleanup() {
    local code=$?
    if [ "$container_started" = 1 ]; then
        if [ "$code" -ne 0 ]; then
            echo "---- container log (last 80 lines) ----" >&2
            podman logs "$NAME" 2>&1 | tail -n 80 >&2 || true
            echo "---------------------------------------" >&2
        fi
        podman stop -t 10 "$NAME" >/dev/null 2>&1 || true
        podman rm -f "$NAME" >/dev/null 2>&1 || true
    fi
    rm -rf "$workdir"
    exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

command -v podman >/dev/null || fail "podman is not installed (../shared/tools/container-base.sh installs it)"
command -v python3 >/dev/null || fail "python3 is needed on the host for the HTTP checks"

# ---------------------------------------------------------------------------------------------- base image
if ! podman image exists "$BASE"; then
    if [ -f ../shared/tools/container-base.sh ]; then
        echo "container-test: base image $BASE missing: running ../shared/tools/container-base.sh"
        bash ../shared/tools/container-base.sh || fail "../shared/tools/container-base.sh could not make $BASE"
    else
        fail "base image $BASE missing and no ../shared/tools/container-base.sh to make it"
    fi
fi

# ---------------------------------------------------------------------------------------------- build
echo "container-test: building $IMAGE ..."
build_start=$(date +%s)
# --format docker keeps the HEALTHCHECK (the OCI image format has none).
if ! podman build --isolation chroot --pull=never --network host --format docker -t "$IMAGE" . \
        >"$workdir/build.log" 2>&1; then
    tail -n 60 "$workdir/build.log" >&2
    fail "image build failed (log above)"
fi
build_seconds=$(( $(date +%s) - build_start ))
size_bytes=$(podman image inspect --format '{{.Size}}' "$IMAGE")
echo "container-test: built in ${build_seconds} s; image size $(( size_bytes / 1000000 )) MB (${size_bytes} bytes)"
podman images --filter "reference=$IMAGE"
env_line=$(podman image inspect --format '{{range .Config.Env}}{{.}} {{end}}' "$IMAGE")
case " $env_line " in *" HOST=0.0.0.0 "*) ;; *) fail "the image does not set HOST=0.0.0.0 (env: $env_line)";; esac

# ---------------------------------------------------------------------------------------------- run
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Host network, bound to loopback only: HOST=127.0.0.1 overrides the image's 0.0.0.0 for this test.
# --health-interval disable: no systemd timer here (podman still logs that it has no systemd: kept in run.log);
# the HEALTHCHECK is run by hand below.
"${PODMAN_RUN[@]}" run -d --name "$NAME" --network host "${LIMITS[@]}" -e HOST=127.0.0.1 -e PORT="$port" \
    --health-interval disable "$IMAGE" >/dev/null 2>"$workdir/run.log" || { cat "$workdir/run.log" >&2; fail "podman run failed"; }
container_started=1
echo "container-test: container $NAME serving on 127.0.0.1:$port"

# ---------------------------------------------------------------------------------------------- checks
cat >"$workdir/check.py" <<'PY'
"""HTTP checks of the running container: readiness, page, health, one recommendation."""
import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

base, name, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])


def fail(message):
    print(f"container-test: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def get(path, data=None):
    """(status, body text) of a request to the container; status 0 when nothing answers."""
    headers = {"Content-Type": "application/json"} if data is not None else {}
    request = urllib.request.Request(base + path, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0, ""


def get_json(path):
    status, text = get(path)
    try:
        return status, json.loads(text)
    except ValueError:
        fail(f"GET {path} answered {status} with no JSON: {text[:200]!r}")


def ready(health):
    """The app is ready when status is ok and the model (when the answer names one) is ready."""
    return health.get("status") == "ok" and health.get("model", "ready") == "ready"


def running():
    out = subprocess.run(["podman", "inspect", "--format", "{{.State.Running}}", name],
                         capture_output=True, text=True)
    return out.stdout.strip() == "true"


# 1. ready within the bound
start, health, last = time.monotonic(), None, "nothing answered"
while True:
    status, text = get("/api/health")
    if status:
        last = f"{status} {text[:200]}"
        try:
            health = json.loads(text)
        except ValueError:
            health = None
        if status == 200 and isinstance(health, dict) and ready(health):
            break
    if not running():
        fail(f"the container stopped before it was ready (last /api/health: {last})")
    if time.monotonic() - start > timeout:
        fail(f"not ready after {timeout:.0f} s (last /api/health: {last})")
    time.sleep(0.5)
print(f"container-test: ready after {time.monotonic() - start:.1f} s: /api/health {json.dumps(health)}")

# 2. the page
status, page = get("/")
if status != 200 or "<html" not in page.lower() or "Streaming Atlas" not in page:
    fail(f"GET / answered {status}, not the Streaming Atlas page: {page[:200]!r}")
print("container-test: GET / 200, HTML with 'Streaming Atlas'")

# 3. the image's own HEALTHCHECK command, run in the container
check = subprocess.run(["podman", "healthcheck", "run", name], capture_output=True, text=True)
if check.returncode != 0:
    fail(f"the image's HEALTHCHECK says unhealthy: {(check.stdout + check.stderr).strip()}")
print("container-test: HEALTHCHECK healthy")

# 4. one recommendation: a demo user and a title from the catalogue
user = "1"
status, longest = get_json("/api/longest_titles?n=1")
titles = longest.get("titles") if status == 200 and isinstance(longest, dict) else None
if not titles or not isinstance(titles[0], dict) or not titles[0].get("id"):
    fail(f"GET /api/longest_titles?n=1 answered {status} with no title id: {json.dumps(longest)[:200]}")
title = str(titles[0]["id"])
status, index = get_json("/api")
routes = {r.get("route") for r in index.get("routes", [])} if status == 200 and isinstance(index, dict) else set()
if "/api/recommend" in routes:
    query = urllib.parse.urlencode({"user": user, "title": title, "k": 3})
    status, answer = get_json(f"/api/recommend?{query}")
    recs = answer.get("recommendations") if isinstance(answer, dict) else None
    if status != 200 or not recs:
        fail(f"GET /api/recommend?{query} answered {status} without recommendations: {json.dumps(answer)[:300]}")
    print(f"container-test: GET /api/recommend?{query} 200, {len(recs)} recommendations")
else:
    # The app has no JSON route for it yet: the Recommend panel's own Dash callback.
    status, deps = get_json("/_dash-dependencies")
    dependency = next((d for d in deps if "recommend-alert.children" in d.get("output", "")), None)
    if status != 200 or dependency is None:
        fail("no /api/recommend route and no recommend callback (recommend-alert.children) in /_dash-dependencies")

    def value(spec):
        key = f"{spec['id']}.{spec['property']}".lower()
        if "theme" in key:
            return "light"
        if "user" in key:
            return int(user)
        if "title" in key:
            return title
        if key.endswith(".value") and "k" in spec["id"].lower().split("-")[-1]:
            return 3
        return None

    output = dependency["output"]
    outputs = [dict(zip(("id", "property"), part.rsplit(".", 1))) for part in output.strip(".").split("...")]
    body = {"output": output, "outputs": outputs if output.startswith("..") else outputs[0],
            "inputs": [{**s, "value": value(s)} for s in dependency["inputs"]],
            "state": [{**s, "value": value(s)} for s in dependency.get("state", [])],
            "changedPropIds": [f"{dependency['inputs'][0]['id']}.{dependency['inputs'][0]['property']}"]}
    status, text = get("/_dash-update-component", json.dumps(body).encode())
    if status != 200 or "recommend-recs" not in text or "could not be loaded" in text or "Pick a" in text:
        fail(f"the recommend callback answered {status}: {text[:300]!r}")
    print(f"container-test: recommend callback (user {user}, title {title}) 200 with recommendations")
PY
check_start=$(date +%s)
python3 "$workdir/check.py" "http://127.0.0.1:$port" "$NAME" "$READY_TIMEOUT"
check_seconds=$(( $(date +%s) - check_start ))

echo "container-test: OK (build ${build_seconds} s, checks ${check_seconds} s, total $(( $(date +%s) - started )) s;" \
     "image $(( size_bytes / 1000000 )) MB)"
