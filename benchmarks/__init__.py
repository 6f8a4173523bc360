"""Benchmark scripts, run as modules (e.g. `python -m benchmarks.queries`); their figures go into the README."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

from core import Catalog, StreamingError, load_catalog


def report_on_catalog(data_dir: str | None, out: Path, make_report: Callable[[Catalog], str]) -> int:
    """Print make_report(catalog of data_dir) and write it to `out`: exit code 0, or 2 with a message on bad data."""
    try:
        catalog = load_catalog(data_dir)
    except StreamingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report = make_report(catalog)
    print(report)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report + "\n", encoding="utf-8")
    return 0
