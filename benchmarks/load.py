"""Load test: gunicorn (2 workers) on 127.0.0.1 driven by Locust for a fixed time, one command that stops itself.

    python -m benchmarks.load [--data-dir DIR] [--users 200] [--seconds 30] [--wait-min 1 --wait-max 3]

1. processes the data (reused when cached) so the workers start on ready parquet files;
2. starts `gunicorn --workers 2 app:server` on a free 127.0.0.1 port and waits until /api/health answers;
3. builds a request plan from the running app: JSON query routes with random valid parameters (and a few invalid
   ones that must answer 400), and `/_dash-update-component` bodies for the callbacks whose outputs are the query
   answers and the recommendations, found in `GET /_dash-dependencies`, with input values drawn from the
   widgets' own options and ranges in the page layouts;
4. runs Locust headless (`benchmarks/locustfile.py`) with N users for S seconds, then stops gunicorn;
5. prints and writes `benchmarks/results/load.md`: requests/s, p50/p95/p99 and errors per endpoint group and overall.
Needs the bench-only packages of requirements-bench.txt (locust).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

import requests

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
GROUPS = ("json valid", "json invalid", "dash explore", "dash query", "dash recommend")
# The mix the load goal is set for (JSON routes, query and recommendation callbacks); --explore adds the Explore
# panel's charts callback, the heaviest one (ten charts per request), at EXPLORE_WEIGHT.
WEIGHTS = {"json valid": 6, "json invalid": 1, "dash explore": 0, "dash query": 3, "dash recommend": 2}
EXPLORE_WEIGHT = 2
PLATFORM_NAMES = ("netflix", "amazon", "hulu", "disney", "Netflix", "disney+", "Amazon Prime", "prime")
PLAN_SIZE = 400  # distinct requests per kind


# ---------------------------------------------------------------------------------------------- server
def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(data_dir: Path | None, port: int, workers: int, log_path: Path,
                   threads: int = 1) -> subprocess.Popen:
    """gunicorn with `workers` workers (sync; gthread with `threads` > 1) serving app:server on 127.0.0.1:port, in
    its own process group."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if data_dir is not None:
        env["STREAMING_DATA_DIR"] = str(data_dir)
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
               "--timeout", "120", "--backlog", "2048", "--log-level", "warning",
               *(["--threads", str(threads)] if threads > 1 else []), "app:server"]
    log = open(log_path, "w", encoding="utf-8")  # noqa: SIM115 -- closed with the process
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM the process group of a server started by start_gunicorn (then SIGKILL if it lingers)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)


def tree_cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system) used so far by a process and its children (psutil), None without psutil."""
    try:
        import psutil

        root = psutil.Process(pid)
        total = 0.0
        for process in [root, *root.children(recursive=True)]:
            try:
                times = process.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                pass
        return total
    except Exception:  # noqa: BLE001 -- psutil missing
        return None


def wait_until_ready(base: str, process: subprocess.Popen, paths: tuple[str, ...], timeout: float = 300) -> float:
    """Poll until every path answers 200; seconds waited. RuntimeError if the server dies or times out."""
    started = time.perf_counter()
    pending = list(paths)
    while pending:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode} before it was ready")
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"server not ready after {timeout:.0f} s ({pending[0]} does not answer 200)")
        try:
            if requests.get(base + pending[0], timeout=5).status_code == 200:
                pending.pop(0)
                continue
        except requests.RequestException:
            pass
        time.sleep(0.05)
    return time.perf_counter() - started


# ---------------------------------------------------------------------------------------------- plan
def components(node, found: dict | None = None) -> dict[str, dict]:
    """Every component with a string id in a serialised Dash layout: id -> {"type", "props"}."""
    found = {} if found is None else found
    if isinstance(node, dict):
        props = node.get("props")
        if isinstance(props, dict):
            if isinstance(props.get("id"), str):
                found[props["id"]] = {"type": node.get("type"), "props": props}
            for value in props.values():
                components(value, found)
        else:  # a response wrapper: {"response": {"<id>": {"children": ...}}}
            for value in node.values():
                components(value, found)
    elif isinstance(node, list):
        for item in node:
            components(item, found)
    return found


def page_components(base: str, dependencies: list[dict], path: str) -> dict[str, dict]:
    """Components of a page as the app serves it (through Dash pages' own content callback)."""
    pages = next((d for d in dependencies if "_pages_content.children" in d["output"]), None)
    layout = requests.get(base + "/_dash-layout", timeout=30).json()
    found = components(layout)
    if pages is None:
        return found
    values = {"_pages_location.pathname": path, "_pages_location.search": ""}
    response = requests.post(base + "/_dash-update-component", json=callback_body(pages, values), timeout=60)
    if response.ok:
        components(response.json().get("response", {}), found)
    return found


def callback_body(dependency: dict, values: dict[str, object]) -> dict:
    """A /_dash-update-component body for a callback of /_dash-dependencies with the given `id.prop` values."""
    output = dependency["output"]
    if output.startswith(".."):
        outputs = [dict(zip(("id", "property"), part.rsplit(".", 1))) for part in output[2:-2].split("...")]
    else:
        outputs = dict(zip(("id", "property"), output.rsplit(".", 1)))

    def items(specs):
        return [{**spec, "value": values.get(f"{spec['id']}.{spec['property']}")} for spec in specs]

    first = dependency["inputs"][0]
    return {"output": output, "outputs": outputs, "inputs": items(dependency["inputs"]),
            "state": items(dependency.get("state", [])), "changedPropIds": [f"{first['id']}.{first['property']}"]}


def widget_value(spec: dict, component: dict | None, years: tuple[int, int], rng: random.Random):
    """A value a user could give one callback input: from the widget's options or range, else its default."""
    if spec["property"] == "data" and "theme" in spec["id"]:
        return rng.choice(["light", "dark"])
    props = (component or {}).get("props", {})
    options = props.get("options")
    if spec["property"] == "value" and options:
        values = [o.get("value") if isinstance(o, dict) else o for o in options]
        values = [v for v in values if not (isinstance(v, dict) and v.get("disabled"))]
        if props.get("multi") or isinstance(props.get("value"), list):
            return rng.sample(values, k=rng.randint(1, len(values)))
        return rng.choice(values)
    if spec["property"] == "value" and "year" in spec["id"]:
        if isinstance(props.get("value"), list):  # a range slider of years
            low = rng.randint(years[0], years[1])
            return [low, rng.randint(low, years[1])]
        return rng.randint(max(years[0], 1980), years[1])
    if spec["property"] == "value" and isinstance(props.get("min"), (int, float)) and \
            isinstance(props.get("max"), (int, float)):
        low, high = props["min"], props["max"]
        step = props.get("step") or (1 if isinstance(low, int) and isinstance(high, int) else 0.01)
        return round(low + step * rng.randint(0, int((high - low) / step)), 4)
    return props.get(spec["property"])


SEARCHES = ("1", "2", "3", "12", "42", "the", "love", "war", "a", "night", "man", "girl")


def searched_options(base: str, server_side: list[dict], widgets: dict[str, dict]) -> None:
    """Fill searchable dropdowns (options served by a `search_value` callback) with what a few searches return."""
    for dependency in server_side:
        first = dependency["inputs"][0] if dependency["inputs"] else {}
        if first.get("property") != "search_value" or not dependency["output"].endswith(".options"):
            continue
        widget = widgets.setdefault(first["id"], {"type": "Dropdown", "props": {}})
        found = {json.dumps(o, sort_keys=True): o for o in widget["props"].get("options") or []}
        for text in SEARCHES:
            values = {f"{first['id']}.search_value": text}
            response = requests.post(base + "/_dash-update-component", json=callback_body(dependency, values),
                                     timeout=60)
            if response.status_code == 200:
                answer = response.json().get("response", {}).get(first["id"], {}).get("options") or []
                found.update({json.dumps(o, sort_keys=True): o for o in answer})
        widget["props"]["options"] = list(found.values())


def callback_plan(base: str, rng: random.Random, years: tuple[int, int],
                  explore: bool = False) -> tuple[dict[str, list], list[str]]:
    """Bodies for the Explore charts, query-answer and recommendation callbacks of the running app, and notes on
    what was found."""
    dependencies = requests.get(base + "/_dash-dependencies", timeout=30).json()
    server_side = [d for d in dependencies if d.get("clientside_function") is None]
    charts = [d for d in server_side if d["output"].startswith("..explore-alert.children")]
    query = [d for d in server_side if d["output"].startswith("..queries-") and "-answer.children" in d["output"]]
    recommend = [d for d in server_side if "recommend" in d["output"] and d["inputs"]
                 and d["inputs"][0]["property"] not in ("n_clicks", "search_value", "contents")
                 and not d["output"].split("@")[0].endswith(("csv.data", ".search", ".options"))]
    widgets = {**page_components(base, dependencies, "/"), **page_components(base, dependencies, "/queries"),
               **page_components(base, dependencies, "/recommend")}
    searched_options(base, server_side, widgets)
    plan, notes = {"explore": [], "query": [], "recommend": []}, []
    kinds = ((("explore", charts),) if explore else ()) + (("query", query), ("recommend", recommend))
    for kind, found in kinds:
        notes.append(f"{kind} callbacks: " + (", ".join(f"`{short_output(d['output'])}`" for d in found) or
                                              "none registered in the running app"))
        for _ in range(PLAN_SIZE if found else 0):
            dependency = rng.choice(found)
            specs = dependency["inputs"] + dependency.get("state", [])
            values = {f"{s['id']}.{s['property']}": widget_value(s, widgets.get(s["id"]), years, rng) for s in specs}
            if kind == "recommend":  # a user, a title, or both, as people use the panel
                pickers = [k for k, s in zip(values, specs) if (widgets.get(s["id"]) or {}).get("type") == "Dropdown"]
                if len(pickers) > 1 and rng.random() < 0.67:
                    values[rng.choice(pickers)] = None
            plan[kind].append(callback_body(dependency, values))
    return plan, notes


def short_output(output: str) -> str:
    """The first output id of a callback output string."""
    return output.strip(".").split("...")[0].split("@")[0] + (" (+more)" if "..." in output else "")


def json_plan(base: str, rng: random.Random, years: tuple[int, int]) -> tuple[list[str], list[str]]:
    """Valid JSON query requests (random parameters) and invalid ones that must answer 400."""
    low, high = max(years[0], 1950), years[1]
    valid = []
    for _ in range(PLAN_SIZE):
        platform, year = quote(rng.choice(PLATFORM_NAMES), safe=""), rng.randint(low, high)
        unit, score = rng.choice(["min", "season", "minutes", "seasons"]), round(rng.uniform(0, 5), 1)
        kind = rng.choice(["movie", "tv show", "all"])
        valid.append(rng.choice([
            f"/max_duration/{year}/{platform}/{unit}", f"/score_count/{platform}/{score}/{year}",
            f"/count_platform/{platform}", f"/get_actor/{platform}/{year}",
            "/api/max_duration?" + urlencode({"platform": rng.choice(PLATFORM_NAMES), "duration_type": unit}),
            "/api/score_count?" + urlencode({"platform": rng.choice(PLATFORM_NAMES), "scored": score, "year": year,
                                             "content_type": kind}),
            "/api/count_platform?" + urlencode({"platform": rng.choice(PLATFORM_NAMES)}),
            "/api/get_actor?" + urlencode({"platform": rng.choice(PLATFORM_NAMES), "year": year}),
            "/api/top_actors?" + urlencode({"platform": rng.choice(PLATFORM_NAMES), "year": year, "n": 5}),
            "/api/longest_titles?" + urlencode({"platform": rng.choice(PLATFORM_NAMES), "n": 10}),
        ]))
    invalid = ["/score_count/netflix/abc/2020", "/score_count/netflix/7/2020", "/max_duration/20x0/netflix/min",
               "/max_duration/2020/netflix/hours", "/count_platform/myspace", "/get_actor/netflix/99999",
               "/get_actor/netflix", "/api/count_platform?platform=%3Cscript%3E", "/api/score_count?platform=hulu",
               "/api/top_actors?platform=hulu&year=2020&n=-1", "/api/get_actor?platform=netflix&year=nan",
               "/api/count_platform?platform=netflix&platform=hulu", "/score_count/netflix/NaN/2020"]
    return valid, invalid


def build_plan(base: str, seed: int = 2021, explore: bool = False) -> tuple[dict, list[str]]:
    """The whole request plan for the locustfile, and notes for the report."""
    rng = random.Random(seed)
    ranges = requests.get(base + "/api/ranges", timeout=30).json()
    years = (ranges.get("year_min") or 1990, ranges.get("year_max") or 2021)
    valid, invalid = json_plan(base, rng, years)
    callbacks, notes = callback_plan(base, rng, years, explore)
    weights = {**WEIGHTS, "dash explore": EXPLORE_WEIGHT if explore and callbacks["explore"] else 0}
    if not callbacks["recommend"]:
        weights["dash query"] += weights["dash recommend"]
        weights["dash recommend"] = 0
    return {"json_valid": valid, "json_invalid": invalid, "callbacks": callbacks, "weights": weights}, notes


def warm_up(base: str, plan: dict, requests_per_kind: int = 30, threads: int = 4, limit: float = 600) -> float:
    """Send requests of every kind from several threads until a whole round of each answers within a second, so
    every worker has built its per-process caches (query index, the recommender loaded on first use) before the
    measurement; seconds spent."""
    from concurrent.futures import ThreadPoolExecutor

    started = time.perf_counter()
    kinds = [[("get", path, None) for path in plan["json_valid"][:requests_per_kind]]]
    kinds += [[("post", "/_dash-update-component", body) for body in bodies[:requests_per_kind]]
              for bodies in plan["callbacks"].values() if bodies]

    def send(job) -> float:
        method, path, body = job
        began = time.perf_counter()
        try:
            requests.request(method, base + path, json=body, timeout=limit)
        except requests.RequestException:
            return float("inf")
        return time.perf_counter() - began

    with ThreadPoolExecutor(threads) as pool:
        for jobs in kinds:
            while time.perf_counter() - started < limit:
                if max(pool.map(send, jobs)) < 1.0:
                    break
    return time.perf_counter() - started


# ---------------------------------------------------------------------------------------------- results
@dataclass
class Row:
    """One line of the results table."""

    name: str
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float
    mean: float


def read_stats(prefix: Path) -> list[Row]:
    """Rows of Locust's `<prefix>_stats.csv` (per endpoint group, then 'Aggregated')."""
    rows = []
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as handle:
        for line in csv.DictReader(handle):
            rows.append(Row(name=line["Name"] if line["Name"] != "Aggregated" else "overall",
                            requests=int(line["Request Count"]), failures=int(line["Failure Count"]),
                            rps=float(line["Requests/s"]), p50=float(line["50%"] or 0), p95=float(line["95%"] or 0),
                            p99=float(line["99%"] or 0), mean=float(line["Average Response Time"] or 0)))
    order = {name: i for i, name in enumerate((*GROUPS, "overall"))}
    return sorted(rows, key=lambda r: order.get(r.name, 99))


def read_failures(prefix: Path) -> list[str]:
    """Locust's failure summary lines."""
    path = Path(f"{prefix}_failures.csv")
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as handle:
        return [f"{line['Name']}: {line['Error']} x{line['Occurrences']}" for line in csv.DictReader(handle)]


def markdown(rows: list[Row], args, notes: list[str], failures: list[str], server_errors: int, plan: dict) -> str:
    """The results as a markdown section."""
    overall = next((r for r in rows if r.name == "overall"), None)
    kind = "sync workers" if args.threads <= 1 else f"gthread workers with {args.threads} threads each"
    verdict = ""
    if overall is not None:
        ok = overall.failures == 0 and server_errors == 0 and overall.p95 <= 200
        verdict = (f"**Goal (0 errors, p95 ≤ 200 ms): {'met' if ok else 'NOT met'}** — {overall.failures} errors, "
                   f"{server_errors} server tracebacks (errors answered with an apology), "
                   f"p95 {overall.p95:.0f} ms overall.")
    lines = [
        "| endpoint group | requests | errors | req/s | p50 ms | p95 ms | p99 ms | mean ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        *[f"| {'**overall**' if r.name == 'overall' else r.name} | {r.requests:,} | {r.failures} | {r.rps:.1f} | "
          f"{r.p50:.0f} | {r.p95:.0f} | {r.p99:.0f} | {r.mean:.1f} |" for r in rows],
        "",
        verdict,
        "",
        f"Setup: gunicorn {args.workers} {kind} on 127.0.0.1, Locust {locust_version()} headless (FastHttpUser) "
        f"in the same machine ({os.cpu_count()} cores shared by server and load generator), {args.users} users "
        f"spawned at {args.spawn_rate}/s, {args.seconds} s, each user waiting {args.wait_min:g}-{args.wait_max:g} s "
        f"between requests (closed loop), data `{args.data_dir or 'demo'}`.",
        "Mix (task weights): " + ", ".join(f"{k} {v}" for k, v in plan["weights"].items() if v) + ". "
        f"{len(plan['json_valid'])} valid JSON requests over the original path forms and `/api/...` forms; "
        f"{len(plan['json_invalid'])} invalid ones that must answer 400 with a message (anything else is an error); "
        f"Dash bodies from `GET /_dash-dependencies` with inputs drawn from the widgets' options and ranges.",
        *[f"- {note}" for note in notes],
        f"- server log: {server_errors} traceback(s)",
    ]
    if failures:
        lines += ["", "Errors:", *[f"- {f}" for f in failures[:20]]]
    return "\n".join(lines) + "\n"


def locust_version() -> str:
    try:
        from importlib.metadata import version

        return version("locust")
    except Exception:  # noqa: BLE001
        return "?"


# ---------------------------------------------------------------------------------------------- main
def run_load(data_dir: Path | None, users: int = 200, seconds: int = 30, workers: int = 2, wait_min: float = 1.0,
             wait_max: float = 3.0, spawn_rate: float | None = None, out: Path | None = None, threads: int = 1,
             explore: bool = False) -> str:
    """The whole load test; returns the markdown section (also written to `out`)."""
    args = argparse.Namespace(data_dir=data_dir, users=users, seconds=seconds, workers=workers, wait_min=wait_min,
                              wait_max=wait_max, spawn_rate=spawn_rate or max(1, users // 5), threads=threads)
    if data_dir is not None or os.environ.get("STREAMING_DATA_DIR"):
        from core.catalog import raw_dir_or_demo
        from core.etl import run_etl

        run_etl(raw_dir_or_demo(data_dir)[0])  # processed once here, so both workers start on the cache
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_gunicorn(data_dir, port, workers, work / "gunicorn.log", threads)
    try:
        ready = wait_until_ready(base, server, ("/api/health", "/_dash-layout"))
        print(f"gunicorn ready on {base} after {ready:.1f} s; building the request plan", flush=True)
        plan, notes = build_plan(base, explore=explore)
        (work / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
        warm = warm_up(base, plan)
        notes.append(f"warm-up before measuring: {warm:.1f} s of requests of every kind from 4 threads, until each "
                     "kind answered within 1 s, so both workers had built their per-process caches (query index, "
                     "recommender) — a cold worker's first requests are slower and are not in these figures")
        load_before = os.getloadavg()[0]
        env = {**os.environ, "BENCH_LOAD_PLAN": str(work / "plan.json"), "BENCH_WAIT_MIN": str(wait_min),
               "BENCH_WAIT_MAX": str(wait_max)}
        command = [sys.executable, "-m", "locust", "-f", str(Path(__file__).with_name("locustfile.py")),
                   "--headless", "--users", str(users), "--spawn-rate", str(args.spawn_rate),
                   "--run-time", f"{seconds}s", "--host", base, "--csv", str(work / "locust"), "--only-summary",
                   "--stop-timeout", "10", "--exit-code-on-error", "0", "--loglevel", "WARNING"]
        print(f"locust: {users} users for {seconds} s against {base}", flush=True)
        server_cpu = tree_cpu_seconds(server.pid)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=seconds + 120)
        wall = time.perf_counter() - wall
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        generator_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
        server_after = tree_cpu_seconds(server.pid)
        if server_cpu is not None and server_after is not None:
            notes.append(f"CPU used during the run ({wall:.0f} s wall, {os.cpu_count()} cores): gunicorn "
                         f"{server_after - server_cpu:.1f} s, Locust {generator_cpu:.1f} s")
        notes.append(f"machine load average (1 min) {load_before:.1f} before and {os.getloadavg()[0]:.1f} after "
                     "the run (other processes on the machine compete for its 2 cores)")
        if not Path(f"{work / 'locust'}_stats.csv").is_file():
            raise RuntimeError(f"locust wrote no results (exit {done.returncode}):\n{done.stderr[-2000:]}")
    finally:
        stop(server)
    log_text = (work / "gunicorn.log").read_text(encoding="utf-8", errors="replace")
    text = markdown(read_stats(work / "locust"), args, notes, read_failures(work / "locust"),
                    log_text.count("Traceback"), plan)
    flags = (f" --threads {threads}" if threads > 1 else "") + (" --explore" if explore else "")
    header = (f"# Load test\n\n`python -m benchmarks.load --users {users} --seconds {seconds}{flags}` on "
              f"{time.strftime('%Y-%m-%d %H:%M')}, {platform.node() and 'this machine'}: "
              f"{os.cpu_count()} cores, Python {platform.python_version()}.\n\n")
    out = out or RESULTS / "load.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(header + text, encoding="utf-8")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="raw data dir (default: $STREAMING_DATA_DIR, else demo data)")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (>1: gthread workers)")
    parser.add_argument("--wait-min", type=float, default=1.0, help="think time per user, lower bound (s)")
    parser.add_argument("--wait-max", type=float, default=3.0, help="think time per user, upper bound (s)")
    parser.add_argument("--spawn-rate", type=float, help="users started per second (default users/5)")
    parser.add_argument("--explore", action="store_true",
                        help="also drive the Explore charts callback (not in the mix the p95 goal is set for)")
    parser.add_argument("--out", type=Path, help="markdown file (default benchmarks/results/load.md)")
    args = parser.parse_args(argv)
    data_dir = args.data_dir.resolve() if args.data_dir else None
    text = run_load(data_dir, args.users, args.seconds, args.workers, args.wait_min, args.wait_max, args.spawn_rate,
                    args.out, args.threads, args.explore)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
