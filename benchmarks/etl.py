"""ETL benchmark: wall time and peak memory of `python -m core.etl`, cold (fresh output dir) then the cached no-op.

    python -m benchmarks.etl [--data-dir DIR]

Each run is its own child process, so its peak RSS is its own: the child runs the module with `runpy` and reports
`resource.getrusage(RUSAGE_SELF).ru_maxrss` when it exits. `run_measured` is shared with the other benchmarks.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = "__BENCH_PEAK_RSS_KB__="
# Runs `python -m <module> <args>` in this process and prints its peak RSS on stderr, whatever the exit (VmHWM:
# getrusage's maxrss of a child started by vfork + exec also counts this parent's peak).
CHILD = f"""
import runpy, sys
from core.progress import peak_mb
module = sys.argv[1]
sys.argv = [module, *sys.argv[2:]]
try:
    runpy.run_module(module, run_name="__main__", alter_sys=True)
finally:
    sys.stdout.flush()
    print("{MARKER}%d" % (peak_mb() * 1024), file=sys.stderr, flush=True)
"""


@dataclass(frozen=True)
class Measured:
    """One child process: wall time (interpreter start included), peak RSS, exit code and output."""

    seconds: float
    peak_mb: float
    returncode: int
    stdout: str
    stderr: str


def run_measured(module: str, *args: str, env: dict | None = None, timeout: float = 3600) -> Measured:
    """Run `python -m module args` as a child process; its wall time and its own peak RSS."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, module, *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, timeout=timeout)
    seconds = time.perf_counter() - started
    peak_kb, stderr = 0, []
    for line in done.stderr.splitlines():
        if line.startswith(MARKER):
            peak_kb = int(line[len(MARKER):])
        else:
            stderr.append(line)
    return Measured(seconds, peak_kb / 1024, done.returncode, done.stdout, "\n".join(stderr))


def measure_etl(raw_dir: Path, out_dir: Path | None = None) -> dict:
    """ETL cold into a fresh output dir (forced), then the same command again (the cached no-op)."""
    out_dir = out_dir or Path(tempfile.mkdtemp(prefix="bench-etl-"))
    cold = run_measured("core.etl", str(raw_dir), "--out", str(out_dir), "--force")
    if cold.returncode != 0:
        raise RuntimeError(f"ETL failed (exit {cold.returncode}): {cold.stderr[-2000:]}")
    cached = run_measured("core.etl", str(raw_dir), "--out", str(out_dir))
    if cached.returncode != 0 or "reused" not in cached.stdout:
        raise RuntimeError(f"cached ETL run did not reuse the output: {cached.stdout[-500:]} {cached.stderr[-500:]}")
    manifest = json.loads((out_dir / "current" / "manifest.json").read_text(encoding="utf-8"))
    return {"cold": cold, "cached": cached, "counts": manifest["counts"], "out_dir": out_dir,
            "cold_inner_s": _inner_seconds(cold.stdout), "cached_inner_s": _inner_seconds(cached.stdout)}


def _inner_seconds(stdout: str) -> float | None:
    """The ETL's own timing from its first output line ('processed ... in 12.3 s')."""
    first = stdout.splitlines()[0] if stdout else ""
    try:
        return float(first.rsplit(" in ", 1)[1].split()[0])
    except (IndexError, ValueError):
        return None


def markdown(result: dict) -> str:
    """The ETL rows of the benchmark table."""
    counts = result["counts"]
    rows = ["| ETL run | wall time (command) | of which ETL itself | peak RSS |", "|---|---:|---:|---:|"]
    for key, label in (("cold", "cold: fresh output dir, `--force`"), ("cached", "cached no-op: raw files unchanged")):
        run, inner = result[key], result[f"{key}_inner_s"]
        rows.append(f"| {label} | {run.seconds:.2f} s | {_seconds(inner)} | "
                    f"{run.peak_mb:,.0f} MB |")
    rows += ["", f"Input → output: {counts['titles']:,} titles, {counts['ratings']:,} ratings, {counts['users']:,} "
                 "users. Wall time includes starting Python and importing pandas/pyarrow; peak RSS is the child "
                 "process's own maximum resident set (`getrusage`)."]
    return "\n".join(rows) + "\n"


def _seconds(value: float | None) -> str:
    """Seconds for the table: milliseconds below 0.1 s."""
    if value is None:
        return "—"
    return f"{value * 1000:.0f} ms" if value < 0.1 else f"{value:.2f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.etl", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=os.environ.get("STREAMING_DATA_DIR"),
                        help="raw data dir (default: $STREAMING_DATA_DIR)")
    args = parser.parse_args(argv)
    if args.data_dir is None:
        parser.error("give --data-dir or set STREAMING_DATA_DIR")
    print(markdown(measure_etl(Path(args.data_dir).resolve())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
