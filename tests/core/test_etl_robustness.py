"""Malformed raw data and interrupted runs: the ETL handles a defect (and reports it) or stops with one clear
message naming the file -- never a traceback, never a silent loss -- and the previous good output stays intact.

Complements tests/core/test_etl.py (which covers missing files, folders and columns, empty and non-CSV files,
non-numeric ratings, BOM+CRLF title files with an extra column, and a crash inside the writer): here garbage rows,
wrong types, header-only files, quoting and encoding problems, and real interruptions with SIGKILL.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from core import etl
from core.catalog import read_catalog
from core.errors import DataError
from tests.core.test_etl import HEADER, write_raw

RATINGS_HEADER = "userId,rating,timestamp,movieId"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------------------------------------- helpers
def snapshot(version_dir: Path) -> dict[str, bytes]:
    """Every file of a processed version, by name."""
    return {p.name: p.read_bytes() for p in sorted(version_dir.iterdir())}


@pytest.fixture
def good(tmp_path):
    """A raw dir processed once: (raw dir, out dir, the good version folder, its files)."""
    raw, out = write_raw(tmp_path / "raw"), tmp_path / "out"
    version = etl.run_etl(raw, out).version_dir
    return raw, out, version, snapshot(version)


def rerun(raw: Path, out: Path):
    """Run the ETL again on a changed raw dir: ('ok', EtlResult) or ('error', message). Any other exception fails."""
    for path in raw.rglob("*.csv*"):  # a new fingerprint even when a test rewrote a file with the same size
        os.utime(path, ns=(time.time_ns(), time.time_ns()))
    try:
        return "ok", etl.run_etl(raw, out)
    except DataError as exc:
        return "error", str(exc)


def assert_previous_output_intact(out: Path, version: Path, files: dict[str, bytes]) -> None:
    """`current` still points at the good version, byte for byte, and it loads."""
    assert etl.current_version(out) == version
    assert snapshot(version) == files
    catalog = read_catalog(version, "test", [])
    assert len(catalog.titles) == 9 and not catalog.ratings().empty


def write_ratings(raw: Path, body: str | bytes, name: str = "1.csv") -> None:
    """Replace one ratings file (text is written as UTF-8; bytes as given; a .gz name is compressed)."""
    data = body.encode() if isinstance(body, str) else body
    (raw / "ratings" / name).write_bytes(gzip.compress(data) if name.endswith(".gz") else data)


def write_hulu(raw: Path, body: str | bytes) -> None:
    """Replace the hulu catalogue."""
    path = raw / "titles" / "hulu_titles.csv"
    path.write_bytes(body.encode() if isinstance(body, str) else body)


def processed_titles(result) -> pd.DataFrame:
    return pd.read_parquet(result.version_dir / "titles.parquet").set_index("id", drop=False)


# ---------------------------------------------------------------------------------------------- ratings
GOOD_ROW, OTHER_ROW = "1,4.0,1425941529,as1", "2,3.0,1425941529,ns1"
GARBAGE_ROWS = {
    "a word": "garbage",
    "too few fields": "1,2",
    "too many fields": "1,4.0,1425941529,as1,extra",
    "html": "<html><body>502 Bad Gateway</body></html>",
    "text rating": "2,abc,1425941529,ns1",
    "text user": "bob,4.0,1425941529,ns1",
    "fractional user": "1.5,4.0,1425941529,ns1",
    "huge user": "99999999999999999999999,4.0,1425941529,ns1",
    "nul byte": "2,3.0,14259\x0041529,ns1",
    "sql": "1,4.0,1425941529,as1'; DROP TABLE ratings;--",
}


@pytest.mark.parametrize("garbage", list(GARBAGE_ROWS.values()), ids=list(GARBAGE_ROWS))
def test_garbage_row_in_the_middle_of_a_ratings_file(good, garbage):
    raw, out, version, files = good
    write_ratings(raw, "\n".join([RATINGS_HEADER, GOOD_ROW, garbage, OTHER_ROW]) + "\n")
    outcome, value = rerun(raw, out)
    if outcome == "error":  # stopping is fine: with the file named, and the previous output kept
        assert "1.csv" in value and "Traceback" not in value
        assert_previous_output_intact(out, version, files)
    else:  # so is skipping the row, if the report says so
        assert any(line.startswith("ratings") and "excluded" in line for line in value.report), value.report


@pytest.mark.parametrize("gz", [False, True], ids=["csv", "csv.gz"])
def test_ratings_with_bom_and_crlf(tmp_path, gz):
    raw = write_raw(tmp_path / "raw")
    write_ratings(raw, b"\xef\xbb\xbf" + f"{RATINGS_HEADER}\r\n{GOOD_ROW}\r\n{OTHER_ROW}\r\n".encode(),
                  name="2.csv.gz" if gz else "1.csv")
    result = etl.run_etl(raw, tmp_path / "out")
    ratings = pd.read_parquet(result.version_dir / "ratings.parquet")
    assert {("as1", 1, 4.0), ("ns1", 2, 3.0)} <= set(zip(ratings["id"].astype(str), ratings["user_id"],
                                                        ratings["rating"]))


def test_ratings_with_reordered_extra_columns_quotes_and_blank_lines(tmp_path):
    raw = write_raw(tmp_path / "raw")
    write_ratings(raw, 'movieId,extra,timestamp,rating,userId\n"as1","x",1425941529,"4.0",1\n\n\nns1,y,1425941529,3,2\n')
    result = etl.run_etl(raw, tmp_path / "out")
    ratings = pd.read_parquet(result.version_dir / "ratings.parquet")
    assert {("as1", 1), ("ns1", 2)} <= set(zip(ratings["id"].astype(str), ratings["user_id"]))


def test_out_of_range_ratings_are_excluded_and_reported(tmp_path):
    raw = write_raw(tmp_path / "raw")
    rows = ["-1,4.0,1425941529,as1", "1002,nan,1425941529,as1", "1003,inf,1425941529,as1", "1004,4,-5,as1",
            "1005,4,1e300,as1", "1006,0,1425941529,as1", "1007,5.5,1425941529,as1", "1008,4.0,1425941529,"]
    write_ratings(raw, "\n".join([RATINGS_HEADER, *rows]) + "\n")
    result = etl.run_etl(raw, tmp_path / "out")
    ratings = pd.read_parquet(result.version_dir / "ratings.parquet")
    assert not set(ratings["user_id"]) & {-1, *range(1002, 1009)}
    report = "\n".join(result.report)
    for what in ("rating outside 0.5-5", "timestamp outside", "missing value", "userId not a positive"):
        assert what in report


def test_one_header_only_ratings_file_is_fine(tmp_path):
    raw = write_raw(tmp_path / "raw")
    write_ratings(raw, RATINGS_HEADER + "\n")
    assert etl.run_etl(raw, tmp_path / "out").counts["ratings"] > 0


def test_only_header_only_ratings_files_stop_with_a_message(good):
    """Every ratings file has a header and no row: 'no usable rating', not an IndexError from the de-duplication."""
    raw, out, version, files = good
    write_ratings(raw, RATINGS_HEADER + "\n")
    write_ratings(raw, RATINGS_HEADER + "\n", name="2.csv.gz")
    outcome, value = rerun(raw, out)
    assert outcome == "error" and "no usable rating" in value
    assert_previous_output_intact(out, version, files)


def test_truncated_gzip_stops_with_a_message(good):
    raw, out, version, files = good
    rows = "\n".join(f"{u},{u % 5 + 1}.0,{1_000_000_000 + u * 977},as1" for u in range(1, 20_000))
    data = gzip.compress(f"{RATINGS_HEADER}\n{rows}\n".encode())
    write_ratings(raw, data[: len(data) // 2], name="2.csv.gz.tmp")
    (raw / "ratings" / "2.csv.gz.tmp").replace(raw / "ratings" / "2.csv.gz")
    outcome, value = rerun(raw, out)
    assert outcome == "error" and "2.csv.gz" in value
    assert_previous_output_intact(out, version, files)


def test_corrupt_gzip_stops_with_a_message(good):
    """Damaged compressed data (a valid gzip header, then bytes that do not inflate): one message naming the file."""
    raw, out, version, files = good
    rows = "\n".join(f"{u},{u % 5 + 1}.0,{1_000_000_000 + u * 977},as1" for u in range(1, 20_000))
    data = bytearray(gzip.compress(f"{RATINGS_HEADER}\n{rows}\n".encode()))
    data[20:60] = bytes(range(40))
    write_ratings(raw, bytes(data), name="2.csv.gz")
    outcome, value = rerun(raw, out)
    assert outcome == "error" and "2.csv.gz" in value and "Traceback" not in value
    assert_previous_output_intact(out, version, files)


def test_ratings_not_utf8_stop_with_a_message(good):
    raw, out, version, files = good
    write_ratings(raw, f"{RATINGS_HEADER}\n{GOOD_ROW}\n1,4.0,1425941529,as1é\n".encode("latin-1"))
    outcome, value = rerun(raw, out)
    assert outcome == "error" and "1.csv" in value
    assert_previous_output_intact(out, version, files)


# ---------------------------------------------------------------------------------------------- titles
HULU_ROW = "s{n},Movie,Title {n},,,,,2020,R,90 min,Drama,Text."


def test_wrong_types_in_title_columns_are_nulled_and_reported(tmp_path):
    raw = write_raw(tmp_path / "raw")
    rows = ["s1,12345,3.14,42,7,0,not a date,abc,99,xyz min,1,2",
            "s2,Movie,B,,,,,-5,R,-90 min,Drama,",
            "s3,Movie,C,,,,2021-13-45,1e3,R,0 min,Drama,",
            "s4,Movie,D,,,,,2020.5,R,99999999999999999999 min,Drama,",
            "s5,Movie,E,,,,,99999999999999999999,R,3000000000 min,Drama,",
            "s6,TV Show,F,,,,,2020,R,-1 Seasons,Drama,"]
    write_hulu(raw, "\n".join([HEADER, *rows]) + "\n")
    result = etl.run_etl(raw, tmp_path / "out")
    titles = processed_titles(result)
    hulu = titles[titles["platform"] == "hulu"]
    assert set(hulu["id"]) == {f"hs{n}" for n in range(1, 7)}  # every row kept...
    assert hulu["release_year"].isna().sum() >= 4  # ...with unreadable values set to null
    assert hulu["date_added"].isna().all()
    assert hulu.loc["hs1", "type"] == "12345" and hulu.loc["hs1", "title"] == "3.14"
    assert hulu.loc["hs1", "duration_int"] is pd.NA or pd.isna(hulu.loc["hs1", "duration_int"])
    durations = hulu["duration_int"].dropna()
    assert (durations >= 0).all() and (durations < 2**31).all()
    report = "\n".join(result.report)
    for what in ("release_year unreadable", "date_added unreadable", "duration unreadable", "type not one of"):
        assert what in report


def test_header_only_title_file(tmp_path):
    raw = write_raw(tmp_path / "raw")
    write_hulu(raw, HEADER + "\n")
    result = etl.run_etl(raw, tmp_path / "out")
    assert result.counts["titles_hulu"] == 0 and result.counts["titles_netflix"] == 2


def test_unbalanced_quote_at_the_end_stops_with_the_file_name(good):
    raw, out, version, files = good
    write_hulu(raw, f'{HEADER}\n{HULU_ROW.format(n=1)}\ns2,Movie,"Open quote,,,,,2020,R,90 min,Drama,x\n')
    outcome, value = rerun(raw, out)
    assert outcome == "error" and "hulu_titles.csv" in value
    assert_previous_output_intact(out, version, files)


def test_unbalanced_quote_in_the_middle_loses_no_row_silently(good):
    """A stray quote must not swallow the next record into a title without a word: stop, or keep/report it."""
    raw, out, version, files = good
    rows = [HULU_ROW.format(n=1), 's2,Movie,"Open quote,,,,,2020,R,90 min,Drama,x', HULU_ROW.format(n=3),
            's4,Movie,D,,,,,2020,R,90 min,Drama,"closing"', HULU_ROW.format(n=5)]
    write_hulu(raw, "\n".join([HEADER, *rows]) + "\n")
    outcome, value = rerun(raw, out)
    if outcome == "error":
        assert "hulu_titles.csv" in value
        assert_previous_output_intact(out, version, files)
        return
    hulu = processed_titles(value).query("platform == 'hulu'")
    lost = {f"hs{n}" for n in range(1, 6)} - set(hulu["id"])
    merged = hulu["title"].str.contains(r"\d{4},", na=False)
    reported = any(line.startswith("titles/hulu") and "quot" in line for line in value.report)
    assert reported or not (lost or merged.any()), f"rows lost {sorted(lost)} / merged {list(hulu[merged]['id'])}"


def test_extra_fields_in_a_row_do_not_shift_the_columns(good):
    """A first data row with more fields than the header must not turn the leading columns into an index."""
    raw, out, version, files = good
    write_hulu(raw, f"{HEADER}\n{HULU_ROW.format(n=1)},extra,more\n{HULU_ROW.format(n=2)}\n")
    outcome, value = rerun(raw, out)
    if outcome == "error":
        assert "hulu_titles.csv" in value
        assert_previous_output_intact(out, version, files)
        return
    hulu = processed_titles(value).query("platform == 'hulu'")
    assert set(hulu["id"]) >= {"hs2"} and set(hulu["id"]) <= {"hs1", "hs2"}, list(hulu["id"])
    assert hulu.loc["hs2", "title"] == "title 2" and hulu.loc["hs2", "release_year"] == 2020


def test_short_rows_keep_their_id_with_nulls(tmp_path):
    raw = write_raw(tmp_path / "raw")
    write_hulu(raw, f"{HEADER}\ns1,Movie\n{HULU_ROW.format(n=2)}\n")
    titles = processed_titles(etl.run_etl(raw, tmp_path / "out"))
    assert titles.loc["hs1", "type"] == "movie" and pd.isna(titles.loc["hs1", "title"])
    assert titles.loc["hs2", "title"] == "title 2"


def test_upper_case_header_with_bom_and_crlf(tmp_path):
    raw = write_raw(tmp_path / "raw")
    write_hulu(raw, b"\xef\xbb\xbf" + f"{HEADER.upper()}\r\n{HULU_ROW.format(n=1)}\r\n".encode())
    titles = processed_titles(etl.run_etl(raw, tmp_path / "out"))
    assert titles.loc["hs1", "title"] == "title 1" and titles.loc["hs1", "description"] == "text."


@pytest.mark.parametrize("body", [
    f"{HEADER}\n{HULU_ROW.format(n=1).replace('Title', 'Amélie')}\n".encode("latin-1"),
    f"{HEADER}\n{HULU_ROW.format(n=1)}\n".encode("utf-16"),
    (HEADER.replace(",", ";") + "\ns1;Movie;A;;;;;2020;R;90 min;Drama;x\n").encode(),
], ids=["latin-1", "utf-16", "semicolons"])
def test_unreadable_title_file_stops_with_the_file_name(good, body):
    raw, out, version, files = good
    write_hulu(raw, body)
    outcome, value = rerun(raw, out)
    assert outcome == "error" and "hulu_titles.csv" in value
    assert_previous_output_intact(out, version, files)


def test_cli_reports_bad_data_without_a_traceback(good):
    raw, out, version, files = good
    write_ratings(raw, "\n".join([RATINGS_HEADER, GOOD_ROW, "garbage", OTHER_ROW]) + "\n")
    done = subprocess.run([sys.executable, "-m", "core.etl", str(raw), "--out", str(out)], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 2) and "Traceback" not in done.stderr
    if done.returncode == 2:
        # Progress lines come first (stderr, as plain lines off a terminal); the one error line closes it.
        errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
        assert errors == done.stderr.splitlines()[-1:] and "1.csv" in errors[0]
        assert_previous_output_intact(out, version, files)


def test_cli_output_to_a_reader_that_left_early_is_no_traceback(tmp_path):
    raw = write_raw(tmp_path / "raw")
    child = subprocess.Popen([sys.executable, "-m", "core.etl", str(raw), "--out", str(tmp_path / "out")],
                             cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child.stdout.close()  # like `| head` exiting before the report is printed
    _, errors = child.communicate(timeout=120)
    assert child.returncode == 0 and b"Traceback" not in errors and etl.current_version(tmp_path / "out")


# ---------------------------------------------------------------------------------------------- interruption
@pytest.fixture(scope="module")
def demo_raw(tmp_path_factory):
    """A generated raw dir big enough (~200k ratings, ~1.5 s of ETL) to interrupt mid-way."""
    from core.demo import generate_demo_raw

    return generate_demo_raw(tmp_path_factory.mktemp("demo"))


# Runs the ETL's command line in a child process; when SLOW_RMTREE is set, every folder removal first sleeps,
# so a test can SIGKILL the run right after a removal (only the timing changes, not what the ETL does).
CHILD = """
import os, runpy, shutil, sys, time
if os.environ.get("SLOW_RMTREE"):
    original = shutil.rmtree
    def slow(path, *args, **kwargs):
        original(path, *args, **kwargs)
        print("rmtree", path, flush=True)
        time.sleep(float(os.environ["SLOW_RMTREE"]))
    shutil.rmtree = slow
sys.argv = ["python -m core.etl", *sys.argv[1:]]
runpy.run_module("core.etl", run_name="__main__")
"""


def start_etl(raw: Path, out: Path, *extra: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CHILD, str(raw), "--out", str(out), *extra], cwd=PROJECT_ROOT,
                            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def kill_when(process: subprocess.Popen, ready, timeout: float = 60) -> bool:
    """SIGKILL the process as soon as ready() is true; False when it ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if ready():
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            return True
        time.sleep(0.001)
    process.kill()
    process.wait(timeout=10)
    return False


def test_sigkill_mid_run_keeps_the_previous_output(demo_raw, tmp_path):
    out = tmp_path / "out"
    first = etl.run_etl(demo_raw, out)
    killed = 0
    for attempt in range(4):  # each attempt: new raw fingerprint, run, SIGKILL once its temp folder exists
        previous, files = etl.current_version(out), snapshot(etl.current_version(out))
        os.utime(demo_raw / "ratings" / "2.csv", ns=(time.time_ns(), time.time_ns()))
        process = start_etl(demo_raw, out, "--force")
        if kill_when(process, lambda: any(out.glob(".tmp-*"))):
            killed += 1
            assert process.returncode == -signal.SIGKILL
            assert etl.current_version(out) == previous and snapshot(previous) == files
            catalog = read_catalog(previous, "demo", [])
            assert len(catalog.titles) == first.counts["titles"]
            assert len(catalog.ratings(["rating"])) == first.counts["ratings"]
            if killed == 2:
                break
    assert killed >= 1, "the ETL always finished before it could be interrupted"
    # The next run completes and publishes a loadable version.
    result = etl.run_etl(demo_raw, out)
    assert not result.skipped and etl.current_version(out) == result.version_dir
    assert len(read_catalog(result.version_dir, "demo", []).titles) == first.counts["titles"]


def test_sigkill_of_a_forced_rerun_of_unchanged_data_keeps_the_previous_output(demo_raw, tmp_path):
    """`--force` on unchanged raw files rebuilds the same version name: the live folder must not be deleted before
    its replacement is in place (a kill right after that deletion would leave `current` dangling)."""
    out = tmp_path / "out"
    previous = etl.run_etl(demo_raw, out).version_dir
    files = snapshot(previous)
    process = start_etl(demo_raw, out, "--force", env={"SLOW_RMTREE": "30"})
    removals: list[str] = []

    def live_folder_touched() -> bool:
        # Kill at the first folder removal the run makes (the ETL prints nothing before it finishes).
        line = process.stdout.readline()
        removals.append(line)
        return line.startswith("rmtree")

    kill_when(process, live_folder_touched, timeout=120)
    current = etl.current_version(out)
    assert current is not None, f"no complete version after a kill at {removals[-1].strip()!r}"
    # The previous version, or a complete new one of the same data (only the manifest's creation time differs).
    now = snapshot(current)
    assert {k: v for k, v in now.items() if k != "manifest.json"} == \
        {k: v for k, v in files.items() if k != "manifest.json"}
    manifests = [json.loads(m) for m in (now["manifest.json"], files["manifest.json"])]
    assert [{k: v for k, v in m.items() if k != "created"} for m in manifests][0] == \
        [{k: v for k, v in m.items() if k != "created"} for m in manifests][1]
    assert len(read_catalog(current, "demo", []).titles) == 3000
