"""Scaling benchmark: the data path at 1x..Nx the ratings (ETL, model fit, app start, one Explore filter change).

    python -m benchmarks.scale [--data-dir DIR] [--factors 1,2,4,8] [--etl-factors 1,4,10] [--out FILE] [--plot FILE]

Factor 1 is the data dir itself; factor k > 1 is its title files with its rating files copied k times into a
temporary dir, user ids shifted by 1,000,000 per copy, as plain CSV (removed after that factor is measured, with
the processed data and model of every factor). At each of `--factors`: the ETL cold (`python -m core.etl RAW
--force`), then `python -m core.build RAW` (the ETL's output reused, so it is the model fit), app start to the
first page, and one Explore filter change (`python -m benchmarks.explore`'s charts callback, p50 of 30 random
filters). At the extra `--etl-factors` only the ETL runs. Every command is its own child process, so each peak
memory is that command's own (`getrusage`). Prints a markdown table, writes it to benchmarks/results/scale.md and
plots time and memory against rating rows into docs/scaling.png.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from benchmarks import startup as startup_bench
from benchmarks.etl import Measured, run_measured
from core import rating_read

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "scale.md"
PLOT = ROOT / "docs" / "scaling.png"
USER_SHIFT = 1_000_000
EXPLORE_CALLS = 30
STAGE_LINE = re.compile(r"^(?:\[\d+/\d+\] )?(.+?) done in ([\d.]+) s, peak memory ([\d,]+) MB$")


@dataclass
class Point:
    """What was measured at one factor (None: not measured there)."""

    factor: int
    ratings_read: int = 0
    ratings: int = 0
    etl: Measured | None = None
    etl_stages: list[tuple[str, float, float]] = field(default_factory=list)
    build: Measured | None = None
    fit_stages: list[tuple[str, float, float]] = field(default_factory=list)
    start_s: float | None = None
    start_mb: float | None = None
    explore_ms: float | None = None
    load: tuple[float, float] = (0.0, 0.0)


# ---------------------------------------------------------------------------------------------- the data
def shifted_copy(raw: Path, out: Path, copies: int) -> Path:
    """A raw dir with the rating files of `raw` written `copies` times, user ids + 1,000,000 per copy (plain CSV,
    one file per copy and original file); the title folder is linked."""
    (out / "ratings").mkdir(parents=True)
    (out / "titles").symlink_to((raw / "titles").resolve(), target_is_directory=True)
    as_text = {"rating": pa.string(), "timestamp": pa.string(), "movieId": pa.string()}
    for path in rating_read.rating_files(raw / "ratings"):
        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types={"userId": pa.int64(),
                                                                                         **as_text}))
        for copy in range(copies):
            target = out / "ratings" / f"{copy}-{path.name.removesuffix('.gz')}"
            target.write_text(",".join(table.column_names) + "\n", encoding="utf-8")
            shifted = table.set_column(0, "userId", pc.add(table["userId"], copy * USER_SHIFT))
            with target.open("ab") as handle:
                pacsv.write_csv(shifted, handle, pacsv.WriteOptions(include_header=False, quoting_style="none"))
        del table
    return out


def stages(stderr: str) -> list[tuple[str, float, float]]:
    """(stage, seconds, peak MB) of each 'done' progress line."""
    found = [STAGE_LINE.match(line.strip()) for line in stderr.splitlines()]
    return [(m.group(1), float(m.group(2)), float(m.group(3).replace(",", ""))) for m in found if m]


# ---------------------------------------------------------------------------------------------- measuring
def measure(raw: Path, factor: int, full: bool) -> Point:
    """Every figure at one factor, in a fresh cache dir (removed afterwards)."""
    point = Point(factor, load=(os.getloadavg()[0], 0.0))
    cache = Path(tempfile.mkdtemp(prefix=f"bench-scale-{factor}x-cache-"))
    env = {"STREAMING_CACHE_DIR": str(cache)}
    try:
        print(f"{factor}x: ETL", flush=True)
        point.etl = checked(run_measured("core.etl", str(raw), "--force", env=env), "ETL")
        point.etl_stages = stages(point.etl.stderr)
        manifest = json.loads(next(cache.glob("processed-*/current/manifest.json")).read_text(encoding="utf-8"))
        point.ratings = manifest["counts"]["ratings"]
        point.ratings_read = int(next(line for line in manifest["report"] if "rows read" in line).split()[1]
                                 .replace(",", ""))
        if full:
            print(f"{factor}x: model fit (python -m core.build)", flush=True)
            point.build = checked(run_measured("core.build", str(raw), env=env), "build")
            point.fit_stages = [s for s in stages(point.build.stderr) if s[0] not in ETL_STAGE_NAMES]
            print(f"{factor}x: app start, Explore filter change", flush=True)
            point.start_s, point.start_mb = app_start(raw, env)
            point.explore_ms = explore_p50(raw, env)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    point.load = (point.load[0], os.getloadavg()[0])
    return point


ETL_STAGE_NAMES = {"reading titles", "reading ratings", "cleaning ratings", "summarising", "writing"}


def checked(result: Measured, what: str) -> Measured:
    """The result of a command that must succeed."""
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {result.returncode}): {result.stderr[-2000:]}")
    return result


def app_start(raw: Path, env: dict[str, str]) -> tuple[float, float | None]:
    """Seconds from `python app.py` to the first page, and the server's memory then."""
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        started = startup_bench.start_once(raw)
    finally:
        for key, value in saved.items():
            os.environ.pop(key) if value is None else os.environ.update({key: value})
    return started["first_page_s"], started["rss_mb"]


def explore_p50(raw: Path, env: dict[str, str]) -> float:
    """p50 ms of the Explore charts callback on random filters (benchmarks.explore in a child process)."""
    out = Path(tempfile.mkdtemp(prefix="bench-scale-explore-")) / "explore.md"
    try:
        result = checked(run_measured("benchmarks.explore", "--data-dir", str(raw), "--calls", str(EXPLORE_CALLS),
                                      "--out", str(out), env=env), "Explore benchmark")
        row = next(line for line in result.stdout.splitlines() if line.startswith("| charts callback: headline"))
        return float(row.split("|")[2])
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)


def run(raw: Path, factors: list[int], etl_factors: list[int]) -> list[Point]:
    """Measure every factor in turn (each copy made, measured and removed before the next)."""
    points = []
    for factor in sorted(set(factors) | set(etl_factors)):
        full = factor in factors
        if factor == 1:
            points.append(measure(raw, 1, full))
            continue
        work = Path(tempfile.mkdtemp(prefix=f"bench-scale-{factor}x-"))
        try:
            print(f"{factor}x: writing {factor} shifted copies of the ratings", flush=True)
            points.append(measure(shifted_copy(raw, work / "raw", factor), factor, full))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return points


# ---------------------------------------------------------------------------------------------- report
def markdown(points: list[Point], command: str, machine: str) -> str:
    """The table, with the per-stage breakdown and how it was measured."""
    rows = ["| data | rating rows read | ETL wall | ETL peak | fit wall | fit peak | app start | Explore change p50 "
            "| load (1 min) |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for p in points:
        fit = (f"{p.build.seconds:.0f} s", f"{p.build.peak_mb:,.0f} MB") if p.build else ("—", "—")
        start = f"{p.start_s:.1f} s" if p.start_s is not None else "—"
        explore = f"{p.explore_ms:.0f} ms" if p.explore_ms is not None else "—"
        rows.append(f"| {p.factor}x | {p.ratings_read:,} | {p.etl.seconds:.1f} s | {p.etl.peak_mb:,.0f} MB | "
                    f"{fit[0]} | {fit[1]} | {start} | {explore} | {p.load[0]:.1f}–{p.load[1]:.1f} |")
    lines = [f"Measured {time.strftime('%Y-%m-%d %H:%M %Z')} with `{command}`.", "", f"Machine: {machine}.", "",
             *rows, "", slope(points), "",
             "ETL: `python -m core.etl RAW --force` (wall includes starting Python). Fit: `python -m core.build RAW` "
             "right after it (the ETL output is reused, so this is reading the ratings and fitting the model). App "
             "start: `python app.py` to the first page served. Explore change: the charts callback (cards and ten "
             f"figures, JSON included), p50 of {EXPLORE_CALLS} random filters. Peaks are each command's own maximum "
             "resident memory. Load: the machine's 1-minute load average before and after the factor (2 cores, "
             "shared).", "", "Per stage (seconds / peak MB), from the commands' progress lines:", "",
             "| data | " + " | ".join(stage_names(points)) + " |",
             "|---|" + "---:|" * len(stage_names(points))]
    for p in points:
        found = {name: (s, mb) for name, s, mb in p.etl_stages + p.fit_stages}
        cells = [f"{found[n][0]:.1f} s / {found[n][1]:,.0f}" if n in found else "—" for n in stage_names(points)]
        lines.append(f"| {p.factor}x | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def stage_names(points: list[Point]) -> list[str]:
    """Every stage seen, in first-seen order."""
    names: list[str] = []
    for p in points:
        names += [name for name, _, _ in p.etl_stages + p.fit_stages if name not in names]
    return names


def slope(points: list[Point]) -> str:
    """One line on how time and memory grow with the rows (first to last factor)."""
    first, last = points[0], points[-1]
    rows = last.ratings_read / first.ratings_read
    return (f"From {first.factor}x to {last.factor}x ({rows:.1f}x the rows): ETL time x"
            f"{last.etl.seconds / first.etl.seconds:.1f}, ETL peak memory x{last.etl.peak_mb / first.etl.peak_mb:.2f}.")


def plot(points: list[Point], path: Path) -> None:
    """Time and peak memory against rating rows, ETL and fit, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (time_axis, memory_axis) = plt.subplots(1, 2, figsize=(10, 4), dpi=110)
    for label, measured in (("ETL", lambda p: p.etl), ("model fit", lambda p: p.build)):
        shown = [p for p in points if measured(p) is not None]
        rows = [p.ratings_read / 1e6 for p in shown]
        time_axis.plot(rows, [measured(p).seconds for p in shown], marker="o", label=label)
        memory_axis.plot(rows, [measured(p).peak_mb / 1024 for p in shown], marker="o", label=label)
    for axis, unit in ((time_axis, "wall time (s)"), (memory_axis, "peak memory (GB)")):
        axis.set_xlabel("rating rows (millions)")
        axis.set_ylabel(unit)
        axis.set_xlim(left=0)
        axis.set_ylim(bottom=0)
        axis.grid(alpha=0.3)
        axis.legend()
    figure.suptitle("Streaming Atlas: time and memory against the ratings (2 cores)")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)


def factor_list(text: str) -> list[int]:
    """'1,2,4' -> [1, 2, 4] (whole numbers from 1 to 50), or an argparse error."""
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of whole numbers: {text[:40]!r}") from None
    if not all(1 <= v <= 50 for v in values):
        raise argparse.ArgumentTypeError("factors are whole numbers from 1 to 50")
    return values


def main(argv: list[str] | None = None) -> int:
    from benchmarks.__main__ import machine

    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=os.environ.get("STREAMING_DATA_DIR"),
                        help="raw data dir (default: $STREAMING_DATA_DIR)")
    parser.add_argument("--factors", type=factor_list, default=[1, 2, 4, 8],
                        help="copies of the ratings measured in full (default 1,2,4,8)")
    parser.add_argument("--etl-factors", type=factor_list, default=[],
                        help="further copies measured for the ETL only (e.g. 10)")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"markdown output (default {RESULTS})")
    parser.add_argument("--plot", type=Path, default=PLOT, help=f"PNG plot (default {PLOT})")
    args = parser.parse_args(argv)
    if args.data_dir is None:
        parser.error("give --data-dir or set STREAMING_DATA_DIR")
    if not args.factors and not args.etl_factors:
        parser.error("give at least one factor")
    raw = Path(args.data_dir).expanduser().resolve()
    if not (raw / "ratings").is_dir() or not (raw / "titles").is_dir():
        parser.error(f"{raw} is not a raw data dir (it needs titles/ and ratings/)")
    command = "python -m benchmarks.scale " + " ".join(sys.argv[1:] if argv is None else argv)
    try:
        points = run(raw, args.factors, args.etl_factors)
    except RuntimeError as exc:  # a measured command failed: its own message, not a traceback of this one
        print(f"error: {exc}", file=sys.stderr)
        return 1
    text = markdown(points, command.strip(), machine())
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    plot(points, args.plot)
    print(f"wrote {args.out} and {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
