"""All benchmarks in one command, written to benchmarks/results/BENCHMARKS.md (the README includes it).

    python -m benchmarks [--data-dir DIR] [--quick] [--no-load] [--out FILE]

Parts, in order (each measured in its own child process where memory matters):
1. ETL: cold into a fresh temporary output dir, then the cached no-op (benchmarks/etl.py);
2. recommender: `python -m benchmarks.recommender` (fit time and peak memory, predict/recommend p50/p95), which
   also leaves the fitted model saved for the app;
3. app start → first page served, with processed data and saved model (benchmarks/startup.py);
4. the four queries: `python -m benchmarks.queries` (p50/p95 beside a naive per-call pandas scan, and the ratio);
5. the Explore panel: `python -m benchmarks.explore` (p50/p95 of its callbacks on random filters);
6. quality: `python -m core.evaluate --data-dir DIR --out FILE` (the evaluation table of the recommender);
7. load: gunicorn 2 workers + Locust, 200 users for 30 s, in the mix the goal is set for and again with the Explore
   charts callback added (benchmarks/load.py; `--no-load` skips both).
A part whose module has not landed yet is reported as such instead of failing the run. `--quick` shortens
every part (fewer repetitions, a 10 s load test with 50 users), for a smoke run; the README figures come from a
full run.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import etl as etl_bench
from benchmarks import startup as startup_bench
from benchmarks.etl import Measured, run_measured

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"


# ---------------------------------------------------------------------------------------------- machine
def machine() -> str:
    """Cores, memory, CPU model, OS and Python of this machine."""
    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = []
    for package in ("pandas", "numpy", "pyarrow", "dash", "scikit-learn", "scipy", "gunicorn", "locust"):
        try:
            from importlib.metadata import version

            versions.append(f"{package} {version(package)}")
        except Exception:  # noqa: BLE001
            pass
    return (f"{os.cpu_count()} cores ({len(os.sched_getaffinity(0))} usable; {cpu}), {memory} RAM, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}; " + ", ".join(versions))


# ---------------------------------------------------------------------------------------------- colleagues' parts
def module_present(name: str) -> bool:
    """True when a module of the project can be imported (without importing it)."""
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def takes_option(module: str, option: str) -> bool:
    """True when `python -m module --help` lists the option."""
    done = subprocess.run([sys.executable, "-m", module, "--help"], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    return option in done.stdout


def run_part(module: str, data_dir: Path, quick: bool, *extra: str) -> Measured:
    """`python -m module --data-dir DIR [--quick] [--out TMP] extra...`: --quick only if the module takes it, and
    its own results file (if it writes one) redirected to a temporary file, so the run leaves the repo as it was."""
    args = ["--data-dir", str(data_dir), *(["--quick"] if quick and takes_option(module, "--quick") else []), *extra]
    if takes_option(module, "--out"):
        args += ["--out", str(Path(tempfile.mkdtemp(prefix="bench-part-")) / "out.md")]
    return run_measured(module, *args)


def embed(result: Measured, command: str) -> str:
    """A part's output in the report: its markdown as printed (tables kept), else a code block; failures said."""
    text = result.stdout.strip()
    if result.returncode != 0:
        tail = (result.stderr.strip() or text)[-1500:]
        return f"**`{command}` failed (exit {result.returncode}):**\n\n```\n{tail}\n```\n"
    if any(line.startswith("|") for line in text.splitlines()):
        return text + "\n"
    return f"```\n{text}\n```\n"


def part_or_missing(module: str, what: str, data_dir: Path, quick: bool, *extra: str) -> tuple[str, Measured | None]:
    """Run a colleague's benchmark module if it has landed; else say it is not there yet."""
    command = f"python -m {module} --data-dir DIR" + (" --quick" if quick else "")
    if not module_present(module):
        return f"_Not measured: `{module}` ({what}) is not in the repository yet._\n", None
    print(f"running {command}", flush=True)
    result = run_part(module, data_dir, quick, *extra)
    note = f"\n`{command}`: {result.seconds:.1f} s wall, peak RSS {result.peak_mb:,.0f} MB (whole command).\n"
    return embed(result, command) + note, result


def quality(data_dir: Path, quick: bool) -> str:
    """The recommender's evaluation table from core.evaluate."""
    if not module_present("core.evaluate"):
        return "_Not measured: `core.evaluate` (the recommender's evaluation) is not in the repository yet._\n"
    out = Path(tempfile.mkdtemp(prefix="bench-eval-")) / "evaluation.md"
    print("running python -m core.evaluate", flush=True)
    result = run_measured("core.evaluate", "--data-dir", str(data_dir), "--out", str(out))
    if result.returncode != 0:
        return embed(result, "python -m core.evaluate --data-dir DIR --out FILE")
    text = out.read_text(encoding="utf-8").strip() if out.is_file() else result.stdout.strip()
    shutil.rmtree(out.parent, ignore_errors=True)
    return text + f"\n\n`python -m core.evaluate`: {result.seconds:.1f} s wall, peak RSS {result.peak_mb:,.0f} MB.\n"


# ---------------------------------------------------------------------------------------------- report
def report(sections: list[tuple[str, str]], args, started: float) -> str:
    """The whole markdown file."""
    command = "python -m benchmarks " + " ".join(shlex.quote(a) for a in args.argv)
    head = [
        "# Benchmarks",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M %Z')} with `{command.strip()}` "
        f"({time.perf_counter() - started:.0f} s in all) on the real data dir (`{args.data_dir}`).",
        "",
        f"Machine: {machine()}.",
        "",
        "Every figure below comes from this one run; rerun the command to reproduce them. Times are wall-clock; "
        "memory is peak resident set size of the process doing the work.",
    ]
    body = [f"\n## {title}\n\n{text.rstrip()}\n" for title, text in sections]
    return "\n".join(head) + "\n" + "".join(body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=os.environ.get("STREAMING_DATA_DIR"),
                        help="raw data dir (default: $STREAMING_DATA_DIR)")
    parser.add_argument("--quick", action="store_true", help="shorter runs, for a smoke test")
    parser.add_argument("--no-load", action="store_true", help="skip the load test")
    parser.add_argument("--out", type=Path, default=RESULTS / "BENCHMARKS.md")
    args = parser.parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else argv
    if args.data_dir is None:
        parser.error("give --data-dir or set STREAMING_DATA_DIR to the raw data dir")
    data_dir = args.data_dir = Path(args.data_dir).expanduser().resolve()
    os.environ["STREAMING_DATA_DIR"] = str(data_dir)  # every child works on the same data
    started = time.perf_counter()
    sections: list[tuple[str, str]] = []

    print("ETL: cold run into a fresh output dir, then the cached no-op", flush=True)
    result = etl_bench.measure_etl(data_dir)
    shutil.rmtree(result["out_dir"], ignore_errors=True)
    sections.append(("ETL", etl_bench.markdown(result)))

    # The app, queries and recommender use the default processed dir: make sure it is there before timing them.
    from core.etl import run_etl

    run_etl(data_dir)

    text, _ = part_or_missing("benchmarks.recommender", "recommender fit, predict and recommend", data_dir,
                              args.quick)
    sections.append(("Recommender: fit, predict, recommend", text))

    print("app start to first page", flush=True)
    startup = startup_bench.measure_startup(data_dir, runs=1 if args.quick else 3)
    sections.append(("App start", startup_bench.markdown(startup) +
                     "\nStarted with processed data and saved model already on disk (a normal restart).\n"))

    text, _ = part_or_missing("benchmarks.queries", "the four queries against a naive pandas scan", data_dir,
                              args.quick)
    sections.append(("Queries: p50 / p95 against a naive pandas scan", text))

    text, _ = part_or_missing("benchmarks.explore", "the Explore panel's callbacks on random filters", data_dir,
                              args.quick)
    sections.append(("Explore panel: one filter change", text))

    sections.append(("Recommendation quality", quality(data_dir, args.quick)))

    if not args.no_load:
        from benchmarks import load

        users, seconds = (50, 10) if args.quick else (200, 30)
        print(f"load test: {users} users for {seconds} s", flush=True)
        for title, explore in (("Load: gunicorn, 2 workers", False),
                               ("Load with the Explore charts callback in the mix", True)):
            flag = " --explore" if explore else ""
            try:
                out = Path(tempfile.mkdtemp(prefix="bench-load-")) / "load.md"
                text = load.run_load(data_dir, users=users, seconds=seconds, out=out, explore=explore)
                text += f"\nOne command: `python -m benchmarks.load --users {users} --seconds {seconds}{flag}`.\n"
            except Exception as exc:  # noqa: BLE001 -- report it, keep the other parts
                text = f"**Load test failed:** {type(exc).__name__}: {exc}\n"
            sections.append((title, text))

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report(sections, args, started), encoding="utf-8")
    print(f"wrote {args.out}")
    print(args.out.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
