"""The out-of-core rating engine (core.rating_sql on DuckDB) against the pandas ETL it replaced: the same files on
the demo data and on every rating defect, the same figures on the real data, and memory that stays flat."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.scale import shifted_copy
from core import etl, rating_etl
from core.demo import generate_demo_raw
from tests.core.etl_reference import write_reference
from tests.core.test_etl import write_raw

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PARQUET_FILES = ("titles", "ratings", "users", "user_segments", "activity")


@pytest.fixture(scope="module")
def demo_raw(tmp_path_factory) -> Path:
    """The generated demo raw dir (3,000 titles, ~204k rating rows)."""
    return generate_demo_raw(tmp_path_factory.mktemp("demo"))


def assert_same_as_reference(raw: Path, tmp_path: Path) -> etl.EtlResult:
    """The ETL and the old pandas path on one raw dir write the same report and the same parquet files."""
    result = etl.run_etl(raw, tmp_path / "new")
    reference_report = write_reference(raw, tmp_path / "old")
    assert result.report == reference_report
    for name in PARQUET_FILES:
        new, old = result.version_dir / f"{name}.parquet", tmp_path / "old" / f"{name}.parquet"
        pd.testing.assert_frame_equal(pd.read_parquet(new), pd.read_parquet(old), check_exact=True, obj=name)
        assert new.read_bytes() == old.read_bytes(), f"{name}.parquet: same frame, different file"
    return result


def test_same_outputs_as_the_pandas_etl_on_the_demo_data(demo_raw, tmp_path):
    result = assert_same_as_reference(demo_raw, tmp_path)
    assert result.counts["ratings"] > 200_000
    assert any("exact duplicate row: excluded" in line for line in result.report)


def test_same_outputs_when_the_users_are_cut_into_parts(demo_raw, tmp_path, monkeypatch):
    """Data larger than the engine's memory is de-duplicated a range of users at a time: same files."""
    plans: list[list] = []
    plan_parts = rating_etl.plan_parts
    cap = rating_etl.memory_bytes(rating_etl.DEFAULT_MEMORY)
    monkeypatch.setattr(rating_etl, "BYTES_PER_PART_ROW", cap // 30_000)  # ~30k rows a part
    monkeypatch.setattr(rating_etl, "plan_parts", lambda *args: plans.append(plan_parts(*args)) or plans[-1])
    assert_same_as_reference(demo_raw, tmp_path)
    parts = plans[0]
    assert len(parts) >= 6 and all(a.last < b.first for a, b in zip(parts, parts[1:]))
    assert sum(part.rows for part in parts) > 200_000


# Every rating rule at once: repeats, re-ratings and ties, fractional and edge timestamps, NaN and infinities,
# ids with stray case and spaces, unknown and missing ids, users at and beyond the 32-bit limit.
DEFECTS = [
    "5,4.0,1425941529,as1", "5,4.0,1425941529,as1", "5,4.0,1425941529,as1",   # three exact copies
    "5,2.0,1425941529.2,ns1", "5,3.5,1425941529.9,ns1",                         # same second: higher rating kept
    "5,1.0,1425941000,ns2", "5,1.5,1425941000,ns2", "5,1.0,1425941000,ns2",  # repeat among re-ratings
    "6,5.0,0,as2", "6,0.5,4102444800,ds1", "6,3.0,4102444801,hs1", "6,3.0,-1,hs2",
    "7,nan,1425941529,as1", "7,NaN,1425941529,as2", "7,inf,1425941529,ds1", "7,4.0,inf,hs1", "7,-inf,5,hs2",
    "8,4.0,1425941529, AS2\t", "8,4.0,1425941529,as 2", "8,4.0,1425941529,", "8,4.0,,as1", ",4.0,5,as1",
    "2147483647,4.5,1425941529,ns1", "2147483648,4.5,1425941529,ns1", "0,4.5,1425941529,ns1",
    "-3,9.0,99999999999,zz9",                                                     # three problems at once
    "9,5.0000001,1425941529,ns1", "9,0.4999999,1425941529,ns2", "9,3.3,1425941529,as1", "9,3.3,1425941530,as1",
]


def test_same_outputs_as_the_pandas_etl_on_every_rating_defect(tmp_path):
    from tests.core.test_etl import RATINGS

    result = assert_same_as_reference(write_raw(tmp_path / "raw", ratings=[*RATINGS, *DEFECTS]), tmp_path)
    report = "\n".join(result.report)
    for what in ("rows read", "missing value", "rating outside", "userId not", "timestamp outside",
                 "matches no title", "exact duplicate", "earlier rating excluded"):
        assert what in report


# ---------------------------------------------------------------------------------------------- real data
def digest(values: pd.Series) -> str:
    """Checksum of a column, its order, values and dtype (pandas' hash of each value, hashed in order)."""
    return hashlib.sha256(pd.util.hash_pandas_object(values, index=False).to_numpy().tobytes()).hexdigest()[:16]


# Recorded from ETL v4 (the pandas path, commit a3e00a5) on the real data: rows and checksums of every column.
REAL_FIGURES = {
    "titles": (22_998, {"id": "1b55abe3a5994031", "n_ratings": "5c696c108bd72ac1", "score": "25cee39176020f86",
                        "release_year": "413afa7fc53c02ba", "duration_int": "d1cb6d158c0c5e8b",
                        "listed_in": "4e2e93cc19f314f2"}),
    "ratings": (11_013_823, {"user_id": "e10e4f93a841a208", "id": "da7b4c32e9c9d12f", "rating": "35e3eb21f4959b77",
                             "timestamp": "a523931a4c6fbc95", "date": "a3206c10d613117f"}),
    "users": (115_077, {"user_id": "275319dfc92a72d9", "n_ratings": "33ebbe9a5ae71a53",
                        "mean_rating": "ad7525aa75bb4647"}),
    "user_segments": (4_167_847, {"user_row": "a4c3df2e45284aee", "platform": "f611bfd6c0db6262",
                                  "type": "329ac46e71b16b95", "release_year": "248162b577d3cb79",
                                  "n_ratings": "54ec721d6597adb6"}),
    "activity": (148_202, {"month": "21a403cbcef2a35b", "platform": "46c84dc584e17526", "type": "0ae27e9999a43c26",
                           "release_year": "3bd1f1e36c45cb20", "n_ratings": "c115ff19c7c21a5c",
                           "rating_sum": "47f6e626aedd1295"}),
}


@pytest.mark.real_data
def test_real_data_outputs_match_the_pandas_etl(real_raw_dir, tmp_path):
    result = etl.run_etl(real_raw_dir, tmp_path / "out")  # a fresh run of today's code, not a cached version
    for name, (rows, digests) in REAL_FIGURES.items():
        frame = pd.read_parquet(result.version_dir / f"{name}.parquet", columns=list(digests))
        assert len(frame) == rows, name
        assert {column: digest(frame[column]) for column in digests} == digests, name
    assert result.report[-2:] == ["ratings         11,024,289  rows read",
                                  "ratings           10,466  exact duplicate row: excluded"]


# ---------------------------------------------------------------------------------------------- memory
def etl_peak_mb(raw: Path, out: Path, memory: str) -> tuple[float, str]:
    """Peak resident memory of `python -m core.etl raw` in a child process (DuckDB capped at `memory`), and its
    stages' own peaks (for the failure message)."""
    code = ("import runpy, sys; from core.progress import peak_mb; sys.argv = ['core.etl', *sys.argv[1:]]\n"
            "try:\n    runpy.run_module('core.etl', run_name='__main__')\n"
            "except SystemExit as exit:\n    assert not exit.code, exit.code\n"
            "print(peak_mb())")
    done = subprocess.run([sys.executable, "-c", code, str(raw), "--out", str(out)], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=900,
                          env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), etl.rating_etl.MEMORY_ENV: memory})
    assert done.returncode == 0, done.stderr[-2000:]
    stages = "; ".join(line for line in done.stderr.splitlines() if " done in " in line)
    return float(done.stdout.splitlines()[-1]), stages


def test_memory_stays_flat_as_the_ratings_grow(demo_raw, tmp_path):
    """8 and 48 copies of the demo ratings (1.6M and 9.8M rows): loading them whole would take ~1 GB more for
    the larger one; streamed through the capped engine, the peak grows far less."""
    small, _ = etl_peak_mb(shifted_copy(demo_raw, tmp_path / "x8", 8), tmp_path / "out8", "256MB")
    large, stages = etl_peak_mb(shifted_copy(demo_raw, tmp_path / "x48", 48), tmp_path / "out48", "256MB")
    manifest = json.loads((tmp_path / "out48" / "current" / "manifest.json").read_text())
    assert manifest["counts"]["ratings"] > 9_000_000
    assert large < 900, f"peak {large:,.0f} MB on {manifest['counts']['ratings']:,} ratings ({stages})"
    assert large - small < 300, f"peak grew from {small:,.0f} to {large:,.0f} MB with 6x the ratings ({stages})"
