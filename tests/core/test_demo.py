"""The embedded demo data: raw format, sizes, planted defects, rating structure, determinism, atomic caching."""

from __future__ import annotations

import gzip
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core import demo
from core.config import PROJECT_ROOT, TITLE_FILES
from core.demo import DEMO_VERSION, ensure_demo_raw, generate_demo_raw

HEADER = "show_id,type,title,director,cast,country,date_added,release_year,rating,duration,listed_in,description"
RATINGS_HEADER = "userId,rating,timestamp,movieId"
SIZES = {"amazon": 1200, "disney": 250, "hulu": 450, "netflix": 1100}
DURATION = r"^\d+ (?:min|Seasons?)$"
MID_2021 = pd.Timestamp("2021-07-01").timestamp()


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, float]:
    """One generated raw dir (shared by the tests of this module) and the CPU seconds it took (not wall time,
    which other jobs on a busy machine stretch)."""
    started = time.process_time()
    raw = generate_demo_raw(tmp_path_factory.mktemp("demo") / "raw")
    return raw, time.process_time() - started


@pytest.fixture(scope="module")
def raw(generated) -> Path:
    """The generated raw dir."""
    return generated[0]


@pytest.fixture(scope="module")
def titles(raw) -> dict[str, pd.DataFrame]:
    """The four catalogues as text, blanks kept as ''."""
    return {p: pd.read_csv(raw / "titles" / name, dtype=str, keep_default_na=False) for p, name in TITLE_FILES.items()}


@pytest.fixture(scope="module")
def all_titles(titles) -> pd.DataFrame:
    """The four catalogues stacked, with the movieId the ratings use."""
    frame = pd.concat([f.assign(platform=p) for p, f in titles.items()], ignore_index=True)
    return frame.assign(movieId=frame["platform"].str[0] + frame["show_id"])


@pytest.fixture(scope="module")
def ratings(raw) -> pd.DataFrame:
    """Both rating files, read as pandas reads them (the .gz one decompressed on the fly)."""
    return pd.concat([pd.read_csv(raw / "ratings" / "1.csv.gz"), pd.read_csv(raw / "ratings" / "2.csv")],
                     ignore_index=True)


# ---------------------------------------------------------------------------------------------- format
def test_layout_is_the_raw_format(raw):
    files = sorted(str(p.relative_to(raw)) for p in raw.rglob("*") if p.is_file())
    assert files == sorted([f"titles/{name}" for name in TITLE_FILES.values()] + ["ratings/1.csv.gz", "ratings/2.csv"])
    gz = (raw / "ratings" / "1.csv.gz").read_bytes()
    assert gz[:2] == b"\x1f\x8b" and gz[4:8] == b"\0\0\0\0"  # gzip, mtime 0


def test_headers_are_exact(raw):
    for name in TITLE_FILES.values():
        assert (raw / "titles" / name).read_text(encoding="utf-8").split("\n", 1)[0] == HEADER
    with gzip.open(raw / "ratings" / "1.csv.gz", "rt") as fh:
        assert fh.readline().rstrip("\n") == RATINGS_HEADER
    assert (raw / "ratings" / "2.csv").read_text().split("\n", 1)[0] == RATINGS_HEADER


def test_title_counts_ids_and_types(titles):
    assert {p: len(f) for p, f in titles.items()} == SIZES
    for frame in titles.values():
        assert frame["show_id"].tolist() == [f"s{i}" for i in range(1, len(frame) + 1)]
        assert set(frame["type"]) == {"Movie", "TV Show"}
        assert frame["title"].is_unique and frame["listed_in"].ne("").all() and frame["description"].ne("").all()


def test_title_values_follow_the_real_style(all_titles):
    years = all_titles["release_year"].astype(int)
    assert years.between(1940, 2021).all() and years.median() >= 2010  # skewed recent
    assert years.min() < 1960
    durations = all_titles["duration"][all_titles["duration"] != ""]
    assert durations.str.match(DURATION).all()
    movies = all_titles[(all_titles["type"] == "Movie") & (all_titles["duration"] != "")]
    shows = all_titles[(all_titles["type"] == "TV Show") & (all_titles["duration"] != "")]
    assert movies["duration"].str.endswith(" min").all() and shows["duration"].str.contains("Season").all()
    assert (shows["duration"] == "1 Season").any() and shows["duration"].str.endswith("Seasons").any()
    minutes = movies["duration"].str.split().str[0].astype(int)
    assert 80 <= minutes.median() <= 105
    assert all_titles["description"].str.match(r"^[A-Z][^.]*\.$").all()  # one sentence
    title_case = all_titles["title"].str.split().map(
        lambda words: all(w[0].isupper() or w.isdigit() or w in demo.SMALL_WORDS for w in words))
    assert title_case.all()


def test_dates_parse_and_never_precede_release(all_titles):
    dated = all_titles[all_titles["date_added"] != ""]
    parsed = pd.to_datetime(dated["date_added"].str.strip(), format="%B %d, %Y")
    assert (parsed.dt.year >= dated["release_year"].astype(int)).all()
    assert parsed.max() <= pd.Timestamp("2021-11-30")


def test_platform_vocabularies(titles):
    labels = {p: set(f["listed_in"].str.split(", ").explode()) for p, f in titles.items()}
    assert {"International TV Shows", "TV Dramas", "Dramas", "Thrillers"} <= labels["netflix"]
    assert {"Drama", "Suspense"} <= labels["amazon"] and {"Animation", "Family"} <= labels["disney"]
    assert {"Comedy", "Drama"} <= labels["hulu"]
    codes = {p: set(f["rating"]) for p, f in titles.items()}
    assert {"13+", "16+", "18+", "ALL", "7+"} <= codes["amazon"]
    assert {"TV-MA", "PG-13", "TV-Y7"} <= codes["netflix"]


def test_people_recur(titles):
    for platform in ("amazon", "netflix"):
        frame = titles[platform]
        cast = frame.assign(actor=frame["cast"].str.split(", ")).explode("actor")
        cast = cast[cast["actor"] != ""]
        assert cast["actor"].value_counts().iloc[0] >= 20
        busiest_year = cast["release_year"].value_counts().index[0]
        per_year = cast[cast["release_year"] == busiest_year]["actor"].value_counts()
        assert per_year.iloc[0] >= 3  # "most frequent actor per platform and year" has an answer
    assert titles["netflix"]["director"].str.split(", ").explode().value_counts().iloc[0] >= 10


def test_descriptions_share_words_within_a_genre(titles):
    """Two horror films share more description words than a horror film and a family film (so TF-IDF works)."""
    frame = titles["netflix"]
    stop = {"a", "an", "the", "in", "on", "at", "of", "while", "until", "but", "as", "after", "before", "when"}
    words = [set(text.lower().rstrip(".").replace(",", "").split()) - stop for text in frame["description"]]
    horror = [words[i] for i in np.flatnonzero(frame["listed_in"].str.contains("Horror").to_numpy())]
    family = [words[i] for i in np.flatnonzero(frame["listed_in"].str.contains("Children & Family").to_numpy())]

    def overlap(group_a: list[set], group_b: list[set]) -> float:
        return float(np.mean([len(a & b) / len(a | b) for a in group_a for b in group_b if a is not b]))

    assert len(horror) >= 10 and overlap(horror, horror) > 2 * overlap(horror, family)


# ---------------------------------------------------------------------------------------------- ratings
def test_ratings_format(raw, ratings):
    assert list(ratings.columns) == ["userId", "rating", "timestamp", "movieId"]
    assert ratings["userId"].dtype.kind == "i" and ratings["timestamp"].dtype.kind == "i"
    assert set(ratings["rating"].unique()) == {x / 2 for x in range(1, 11)}
    body = (raw / "ratings" / "2.csv").read_text().split("\n")[1:-1]
    assert pd.Series(body).str.match(r"^\d+,\d\.\d,\d{9,10},[adhn]s\d+$").all()


def test_rating_counts_and_activity(ratings):
    assert 150_000 <= len(ratings) <= 250_000
    per_user = ratings.groupby("userId").size()
    assert 1900 <= len(per_user) <= 2100 and per_user.min() >= 20
    assert per_user.max() > 5 * per_user.median()  # heavy-tailed
    shares = ratings["rating"].value_counts(normalize=True)
    assert shares.idxmax() == 4.0 and shares[4.0] > shares[4.5] and shares[3.0] > shares[3.5]


def test_every_movie_id_is_a_title(ratings, all_titles):
    assert ratings["movieId"].isin(all_titles["movieId"]).all()
    assert ratings["movieId"].nunique() > 0.95 * len(all_titles)
    assert set(ratings["movieId"].str[0]) == {"a", "d", "h", "n"}


def test_timestamps_after_release_and_before_mid_2021(ratings, all_titles):
    released = ratings["movieId"].map(all_titles.set_index("movieId")["release_year"].astype(int))
    years = pd.to_datetime(ratings["timestamp"], unit="s").dt.year
    assert (years >= released).all()
    assert ratings["timestamp"].max() < MID_2021 and years.min() >= 1995


def test_users_prefer_their_favourite_genre_on_held_out_ratings(ratings, all_titles):
    """A user's best genre label on one half of their ratings is still rated above their mean on the other half."""
    genres = all_titles.set_index("movieId")["listed_in"].str.split(", ").explode().rename("genre")
    gap_real = _held_out_favourite_gap(ratings, genres)
    shuffled = ratings.assign(rating=ratings["rating"].sample(frac=1, random_state=0).to_numpy())
    gap_shuffled = _held_out_favourite_gap(shuffled, genres)
    assert gap_real > 0.15 and gap_real > gap_shuffled + 0.12


def _held_out_favourite_gap(ratings: pd.DataFrame, genres: pd.Series) -> float:
    """Mean over users of (rating on their favourite label - overall mean), favourite picked on the other half."""
    first_half = ratings["timestamp"] % 2 == 0  # a split unrelated to the rating value
    pick, check = ratings[first_half], ratings[~first_half]
    means = pick.join(genres, on="movieId").groupby(["userId", "genre"])["rating"].agg(["mean", "size"])
    means = means[means["size"] >= 3]["mean"]
    favourite = means.groupby(level="userId").idxmax().map(lambda key: key[1]).rename("favourite")
    exploded = check.join(genres, on="movieId").join(favourite, on="userId")
    on_favourite = exploded[exploded["genre"] == exploded["favourite"]].groupby("userId")["rating"].mean()
    return float((on_favourite - check.groupby("userId")["rating"].mean()).dropna().mean())


def test_titles_have_a_stable_quality(ratings):
    even = ratings["timestamp"] % 2 == 0
    halves = [ratings[mask].groupby("movieId")["rating"].agg(["mean", "size"]) for mask in (even, ~even)]
    both = halves[0].merge(halves[1], left_index=True, right_index=True, suffixes=("", "_2"))
    both = both[(both["size"] >= 10) & (both["size_2"] >= 10)]
    assert len(both) > 1000 and np.corrcoef(both["mean"], both["mean_2"])[0, 1] > 0.6


# ---------------------------------------------------------------------------------------------- defects
def test_planted_defects(titles, ratings):
    for platform, count in demo.MISPLACED_DURATIONS.items():
        frame = titles[platform]
        misplaced = frame["rating"].str.match(DURATION) & (frame["duration"] == "")
        assert misplaced.sum() == count
    assert (titles["hulu"]["duration"] == "").sum() == demo.MISPLACED_DURATIONS["hulu"] + demo.MISSING_DURATIONS["hulu"]
    assert titles["netflix"]["date_added"].str.match(r"^ [A-Z][a-z]+ \d{1,2}, \d{4}$").sum() == 8
    for column in ("director", "cast", "country", "date_added", "rating"):
        assert any((f[column] == "").any() for f in titles.values()), column
    assert (titles["amazon"]["date_added"] == "").mean() > 0.9 and (titles["amazon"]["country"] == "").mean() > 0.8
    hulu = titles["hulu"]
    assert (hulu["cast"] == "").all() and 1 <= (hulu["director"] != "").sum() <= 3
    duplicates = ratings.duplicated().sum()
    assert 0.0005 * len(ratings) <= duplicates <= 0.002 * len(ratings)


# ---------------------------------------------------------------------------------------------- determinism and speed
def test_same_seed_same_bytes(raw, tmp_path):
    again = generate_demo_raw(tmp_path / "again")
    for path in sorted(p for p in raw.rglob("*") if p.is_file()):
        assert (again / path.relative_to(raw)).read_bytes() == path.read_bytes(), path.name


def test_generation_is_fast(generated):
    assert generated[1] < 6.0  # about 1 CPU-s; the bound only catches an accidental slow path


def test_core_demo_does_not_import_dash():
    code = "import sys, core.demo; sys.exit('dash' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT).returncode == 0


# ---------------------------------------------------------------------------------------------- ensure_demo_raw
def _fake_generator(calls: list[Path]):
    """A stand-in for generate_demo_raw that writes one small file (the real one is tested above)."""
    def fake(out_dir: Path, seed: int = 2021) -> Path:
        calls.append(out_dir)
        (out_dir / "titles").mkdir(parents=True)
        (out_dir / "titles" / "marker.txt").write_text("generated")
        return out_dir
    return fake


def test_ensure_generates_once_into_the_versioned_dir(tmp_path, monkeypatch):
    calls: list[Path] = []
    monkeypatch.setattr(demo, "generate_demo_raw", _fake_generator(calls))
    first = ensure_demo_raw(tmp_path)
    assert first == tmp_path / f"demo-raw-v{DEMO_VERSION}" and (first / "titles" / "marker.txt").is_file()
    assert ensure_demo_raw(tmp_path) == first and len(calls) == 1
    assert calls[0].parent == tmp_path and calls[0] != first  # written in a sibling, then renamed
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # no temp dir left behind


def test_ensure_defaults_to_the_cache_root(tmp_path, monkeypatch):
    monkeypatch.setenv("STREAMING_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(demo, "generate_demo_raw", _fake_generator([]))
    assert ensure_demo_raw() == (tmp_path / "cache" / f"demo-raw-v{DEMO_VERSION}").resolve()


def test_ensure_lost_race_keeps_the_winner(tmp_path, monkeypatch):
    target = tmp_path / f"demo-raw-v{DEMO_VERSION}"

    def racing(out_dir: Path, seed: int = 2021) -> Path:
        _fake_generator([])(out_dir)
        (target / "titles").mkdir(parents=True)  # another process finishes first
        (target / "titles" / "winner.txt").write_text("other process")
        return out_dir

    monkeypatch.setattr(demo, "generate_demo_raw", racing)
    assert ensure_demo_raw(tmp_path) == target
    assert (target / "titles" / "winner.txt").is_file() and not (target / "titles" / "marker.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_ensure_crash_leaves_nothing_half_written(tmp_path, monkeypatch):
    def crashing(out_dir: Path, seed: int = 2021) -> Path:
        (out_dir / "titles").mkdir(parents=True)
        raise OSError("disk full")

    monkeypatch.setattr(demo, "generate_demo_raw", crashing)
    with pytest.raises(OSError, match="disk full"):
        ensure_demo_raw(tmp_path)
    assert list(tmp_path.iterdir()) == []
