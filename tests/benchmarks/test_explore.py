"""benchmarks.explore on the demo data: the report has a timed row per callback, and bad options are refused."""

from __future__ import annotations

import random
import re

import pytest

from benchmarks import explore as bench
from core import eda
from core.config import PLATFORMS


def test_random_filters_are_valid_widget_values(demo_catalog):
    bounds = eda.year_bounds(demo_catalog.titles)
    rng = random.Random(1)
    for _ in range(200):
        platforms, content_type, years, theme = bench.random_filters(rng, bounds)
        filters = eda.make_filters(platforms, content_type, years, bounds)  # raises on an impossible value
        assert filters.platforms and set(filters.platforms) <= set(PLATFORMS) and theme in ("light", "dark")


def test_report_times_each_callback(demo_catalog):
    report = bench.run(demo_catalog, calls=4, seed=0)
    rows = [line for line in report.splitlines() if line.startswith("| ") and "p50" not in line]
    assert len(rows) == 5 and any("random genres" in row for row in rows)
    for row in rows:
        p50, p95, top = (float(cell) for cell in row.strip("|").split("|")[1:])
        assert 0 < p50 <= p95 <= top


def test_command_line_writes_the_report_and_refuses_bad_options(tmp_path, capsys):
    out = tmp_path / "explore.md"
    assert bench.main(["--calls", "2", "--out", str(out)]) == 0
    assert re.search(r"\| charts callback.*\|", out.read_text(encoding="utf-8"))
    with pytest.raises(SystemExit):
        bench.main(["--calls", "0"])
    assert "--calls must be at least 1" in capsys.readouterr().err
