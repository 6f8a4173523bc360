"""ETL rules, defect repairs, bad input and atomic output, on small hand-written raw fixtures."""

from __future__ import annotations

import gzip
import os
import random
import re
from pathlib import Path

import pandas as pd
import pytest

from core import etl
from core.errors import DataError

HEADER = "show_id,type,title,director,cast,country,date_added,release_year,rating,duration,listed_in,description"
TITLES = {
    "amazon_prime_titles.csv": [
        'S1,Movie,The Grand  Seduction,Don McKellar,"Brendan Gleeson , Taylor Kitsch,",Canada,"March 30, 2021",2014,,113 min,"Comedy, Drama",A Small Village.',
        "s2,TV Show,Take Care,,,,,2018,13+,1 Season,Drama,  Two friends.  ",
    ],
    "disney_plus_titles.csv": [
        's1,Movie,Duck Tales,Jack Hannah,"Donald Duck, Daisy Duck",,"November 26, 2021",2016,TV-G,23 min,"Animation, Family",Ducks.',
    ],
    "hulu_titles.csv": [
        's1,TV Show,Ricky Velez,,,United States,"October 24, 2021",2021,2 Seasons,,"Comedy, Stand Up",A comedian.',
        "s2,Movie,Silent,,,,,2020,74 min,,Horror,",
        "s3,Movie,Broken Date,,,,someday,20x0,PG,90 mins,Drama,Text.",
        "s4,Movie,No Length,,,,,2019,R,,Drama,Text.",
    ],
    "netflix_titles.csv": [
        's1,Movie,Dick Johnson Is Dead,Kirsten Johnson,,United States," September 25, 2021",2020,PG-13,90 min,Documentaries,A father.',
        's2,TV Show,Blood & Water,,"Ama Qamata, Khosi Ngema",South Africa,"September 24, 2021",2021,TV-MA,3 Seasons,"International TV Shows, TV Dramas",A teen.',
    ],
}
RATINGS = [
    "1,4.0,1425941529,as1",
    "1,4.0,1425941529,as1",          # exact duplicate
    "1,2.0,1425941600,ns1",
    "1,3.0,1425941700,ns1",          # same user and title again, later: this one is kept
    "2,5.0,1000000000,NS1 ",         # id with stray case and space
    "2,3.5,1000000000,xs99",         # matches no title
    "3,7.0,1000000000,ds1",          # rating out of range
    "3,,1000000000,ds1",             # missing rating
    "3,0.5,1000000000,ds1",
]


def write_raw(root: Path, titles: dict[str, list[str]] = TITLES, ratings: list[str] = RATINGS) -> Path:
    """A raw data dir with the given rows (ratings split over a plain and a gzip file)."""
    (root / "titles").mkdir(parents=True)
    (root / "ratings").mkdir()
    for name, rows in titles.items():
        (root / "titles" / name).write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    header = "userId,rating,timestamp,movieId"
    half = len(ratings) // 2
    (root / "ratings" / "1.csv").write_text("\n".join([header, *ratings[:half]]) + "\n")
    with gzip.open(root / "ratings" / "2.csv.gz", "wt") as handle:
        handle.write("\n".join([header, *ratings[half:]]) + "\n")
    return root


@pytest.fixture
def processed(tmp_path):
    """The ETL run on the fixture: (result, titles, ratings)."""
    result = etl.run_etl(write_raw(tmp_path / "raw"), tmp_path / "out")
    titles = pd.read_parquet(result.version_dir / "titles.parquet").set_index("id", drop=False)
    ratings = pd.read_parquet(result.version_dir / "ratings.parquet")
    return result, titles, ratings


def test_ids_and_platforms(processed):
    _, titles, _ = processed
    assert list(titles["id"]) == ["as1", "as2", "ds1", "hs1", "hs2", "hs3", "hs4", "ns1", "ns2"]
    assert titles.loc["hs2", "platform"] == "hulu" and titles.loc["as1", "show_id"] == "s1"


def test_every_text_value_is_lower_case(processed):
    _, titles, _ = processed
    for column in titles.columns:
        if titles[column].dtype == "str":
            values = titles[column].dropna()
            assert (values == values.str.lower()).all(), column
    assert titles.loc["ns2", "type"] == "tv show"


def test_null_rating_becomes_g(processed):
    _, titles, _ = processed
    assert titles.loc["as1", "rating"] == "g"
    assert titles["rating"].notna().all()


def test_duration_split(processed):
    _, titles, _ = processed
    assert (titles.loc["as1", "duration_int"], titles.loc["as1", "duration_type"]) == (113, "min")
    assert (titles.loc["as2", "duration_int"], titles.loc["as2", "duration_type"]) == (1, "season")
    assert (titles.loc["ns2", "duration_int"], titles.loc["ns2", "duration_type"]) == (3, "season")
    assert (titles.loc["hs3", "duration_int"], titles.loc["hs3", "duration_type"]) == (90, "min")
    assert pd.isna(titles.loc["hs4", "duration_int"]) and pd.isna(titles.loc["hs4", "duration_type"])


def test_duration_found_in_rating_column_is_moved(processed):
    result, titles, _ = processed
    assert (titles.loc["hs1", "duration_int"], titles.loc["hs1", "duration_type"]) == (2, "season")
    assert (titles.loc["hs2", "duration_int"], titles.loc["hs2", "duration_type"]) == (74, "min")
    assert titles.loc["hs1", "rating"] == "g" and titles.loc["hs2", "rating"] == "g"
    assert any("titles/hulu" in line and "moved to duration" in line and " 2 " in line for line in result.report)


def test_dates_are_iso_and_stray_spaces_repaired(processed):
    result, titles, _ = processed
    assert titles.loc["ns1", "date_added"] == "2021-09-25"  # had a leading space
    assert titles.loc["as1", "date_added"] == "2021-03-30"
    assert pd.isna(titles.loc["as2", "date_added"])
    assert pd.isna(titles.loc["hs3", "date_added"])  # "someday" is unreadable: null, and reported
    assert any("date_added unreadable" in line for line in result.report)
    assert titles["date_added"].dropna().str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()


def test_text_whitespace_and_lists_tidied(processed):
    _, titles, _ = processed
    assert titles.loc["as1", "title"] == "the grand seduction"
    assert titles.loc["as1", "cast"] == "brendan gleeson, taylor kitsch"
    assert titles.loc["as2", "description"] == "two friends."
    assert pd.isna(titles.loc["hs2", "description"])


def test_whitespace_class_is_pythons_whitespace():
    every_char = "".join(map(chr, range(0x110000)))
    assert set(re.findall(etl.WHITESPACE, every_char)) == {char for char in every_char if char.isspace()}


def test_whitespace_folded_like_pythons_split_on_random_text():
    pieces = ["a", "b", " ", "  ", "\t", "\n", "\xa0", "\u3000", "\u2028 "]
    generator = random.Random(13)
    texts = ["".join(generator.choices(pieces, k=generator.randrange(1, 9))) for _ in range(400)]
    raw = pd.DataFrame({column: ["x"] * len(texts) for column in etl.TEXT_COLUMNS}).astype("str")
    raw["title"] = pd.Series(texts, dtype="str")
    cleaned = etl.clean_text(raw, "titles/test", etl.QualityReport())
    expected = [" ".join(text.split()) or "<null>" for text in texts]
    assert cleaned["title"].fillna("<null>").tolist() == expected


def test_unicode_whitespace_folded_like_pythons_re():
    raw = pd.DataFrame({column: ["x"] * 3 for column in etl.TEXT_COLUMNS})
    raw["title"] = ["a\u2028 b", "tab\x0b\x1cbed", "\u3000 wide\u00a0space "]
    raw["cast"] = ["ann\u2028,\u2003bo", "x , ,y", "p"]
    raw = raw.astype("str")
    cleaned = etl.clean_text(raw, "titles/test", etl.QualityReport())
    assert cleaned["title"].tolist() == ["a b", "tab bed", "wide space"]
    assert cleaned["cast"].tolist() == ["ann, bo", "x, y", "p"]


def test_a_genre_named_with_commas_stays_one_genre(tmp_path):
    titles = {**TITLES, "amazon_prime_titles.csv": [
        's1,Movie,Art Show,,,,,2014,,60 min,"Arts, Entertainment, and Culture, Comedy",Art.',
        's2,Movie,Plain,,,,,2015,,60 min,"Comedy, Arts",Plain.']}
    result = etl.run_etl(write_raw(tmp_path / "raw", titles=titles), tmp_path / "out")
    listed = pd.read_parquet(result.version_dir / "titles.parquet").set_index("id")["listed_in"]
    assert listed["as1"] == "arts/entertainment/culture, comedy" and listed["as2"] == "comedy, arts"
    assert any("1  listed_in: 'arts, entertainment, and culture' is one genre" in line for line in result.report)


def test_unreadable_year_is_null_and_title_kept(processed):
    result, titles, _ = processed
    assert pd.isna(titles.loc["hs3", "release_year"]) and titles.loc["as1", "release_year"] == 2014
    assert any("release_year unreadable" in line for line in result.report)


def test_ratings_cleaned_and_joined(processed):
    result, titles, ratings = processed
    assert list(ratings.columns) == ["user_id", "id", "rating", "timestamp", "date"]
    rows = sorted(zip(ratings["user_id"], ratings["id"].astype(str), ratings["rating"]))
    assert rows == [(1, "as1", 4.0), (1, "ns1", 3.0), (2, "ns1", 5.0), (3, "ds1", 0.5)]
    assert ratings["date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert ratings.loc[ratings["user_id"] == 1, "date"].iloc[0] == "2015-03-09"
    report = "\n".join(result.report)
    for expected in ("exact duplicate row: excluded", "earlier rating excluded", "matches no title: excluded",
                     "outside 0.5-5: excluded", "missing value: excluded"):
        assert expected in report


def test_scores_and_counts(processed):
    result, titles, _ = processed
    assert titles.loc["ns1", "score"] == pytest.approx(4.0) and titles.loc["ns1", "n_ratings"] == 2
    assert titles.loc["as1", "n_ratings"] == 1 and pd.isna(titles.loc["as2", "score"])
    assert titles.loc["as2", "n_ratings"] == 0
    assert result.counts["titles"] == 9 and result.counts["ratings"] == 4 and result.counts["users"] == 3


def test_summaries(processed):
    result, _, _ = processed
    users = pd.read_parquet(result.version_dir / "users.parquet")
    assert users.set_index("user_id")["n_ratings"].to_dict() == {1: 2, 2: 1, 3: 1}
    segments = pd.read_parquet(result.version_dir / "user_segments.parquet")
    # Kept ratings: user 1 as1 4.0 and ns1 3.0 (2015-03), user 2 ns1 5.0 and user 3 ds1 0.5 (2001-09).
    assert list(segments.itertuples(index=False, name=None)) == [
        (0, "amazon", "movie", 2014, 1), (2, "disney", "movie", 2016, 1), (0, "netflix", "movie", 2020, 1),
        (1, "netflix", "movie", 2020, 1)]  # sorted by segment; user_row: the row of users.parquet
    activity = pd.read_parquet(result.version_dir / "activity.parquet")
    assert list(activity.itertuples(index=False, name=None)) == [
        ("2015-03", "amazon", "movie", 2014, 1, 4.0), ("2001-09", "disney", "movie", 2016, 1, 0.5),
        ("2001-09", "netflix", "movie", 2020, 1, 5.0), ("2015-03", "netflix", "movie", 2020, 1, 3.0)]


def test_ratings_of_a_title_without_a_release_year_keep_their_segment(tmp_path):
    result = etl.run_etl(write_raw(tmp_path / "raw", ratings=[*RATINGS, "4,2.5,1000000000,hs3"]), tmp_path / "out")
    segments = pd.read_parquet(result.version_dir / "user_segments.parquet")
    no_year = segments[segments["release_year"].isna()]  # hs3's year "20x0" is unreadable
    assert list(no_year[["user_row", "platform", "type", "n_ratings"]].itertuples(index=False, name=None)) == [
        (3, "hulu", "movie", 1)]
    assert segments["n_ratings"].sum() == pd.read_parquet(result.version_dir / "activity.parquet")["n_ratings"].sum()


def test_unchanged_raw_files_are_skipped(tmp_path):
    raw = write_raw(tmp_path / "raw")
    first = etl.run_etl(raw, tmp_path / "out")
    second = etl.run_etl(raw, tmp_path / "out")
    assert not first.skipped and second.skipped and second.version_dir == first.version_dir
    os.utime(raw / "ratings" / "1.csv", ns=(1, 1))
    assert not etl.run_etl(raw, tmp_path / "out").skipped


def test_bom_crlf_and_extra_columns_accepted(tmp_path):
    raw = write_raw(tmp_path / "raw")
    path = raw / "titles" / "disney_plus_titles.csv"
    text = path.read_text().replace(HEADER, HEADER + ",extra").replace("Ducks.", "Ducks.,x")
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    result = etl.run_etl(raw, tmp_path / "out")
    titles = pd.read_parquet(result.version_dir / "titles.parquet")
    assert "ds1" in set(titles["id"]) and "extra" not in titles.columns


def run_bad(tmp_path: Path, mutate) -> str:
    """Run the ETL on a fixture changed by `mutate`; return the DataError message (and check no output)."""
    raw = write_raw(tmp_path / "raw")
    mutate(raw)
    with pytest.raises(DataError) as caught:
        etl.run_etl(raw, tmp_path / "out")
    assert etl.current_version(tmp_path / "out") is None
    return str(caught.value)


@pytest.mark.parametrize("mutate, expected", [
    (lambda raw: (raw / "titles" / "hulu_titles.csv").unlink(), "hulu_titles.csv: file not found"),
    (lambda raw: (raw / "titles" / "hulu_titles.csv").write_text(""), "hulu_titles.csv: file is empty"),
    (lambda raw: (raw / "titles" / "hulu_titles.csv").write_text("show_id,title\ns1,x\n"),
     "hulu_titles.csv: missing column(s) type, director"),
    (lambda raw: (raw / "titles" / "hulu_titles.csv").write_bytes(b"\x89PNG\x00\xff\xfe binary"),
     "hulu_titles.csv: "),
    (lambda raw: (raw / "ratings" / "1.csv").write_text("userId,rating,timestamp,movieId\n1,four,5,as1\n"),
     "1.csv: non-numeric value"),
    (lambda raw: (raw / "ratings" / "1.csv").write_text("userId,stars\n1,4\n"), "1.csv: missing column rating"),
    (lambda raw: (raw / "ratings" / "1.csv").write_text(""), "1.csv: file is empty"),
    (lambda raw: (raw / "ratings" / "2.csv.gz").write_bytes(b"not gzip at all"), "2.csv.gz: "),
    (lambda raw: [p.unlink() for p in (raw / "ratings").iterdir()], "no ratings file"),
])
def test_bad_input_stops_with_a_clear_message(tmp_path, mutate, expected):
    assert expected in run_bad(tmp_path, mutate)


def test_missing_folder(tmp_path):
    with pytest.raises(DataError, match="data folder not found"):
        etl.run_etl(tmp_path / "nope", tmp_path / "out")
    (tmp_path / "half").mkdir()
    with pytest.raises(DataError, match="titles: folder not found"):
        etl.run_etl(tmp_path / "half", tmp_path / "out")


def test_failed_run_keeps_previous_output(tmp_path, monkeypatch):
    raw = write_raw(tmp_path / "raw")
    good = etl.run_etl(raw, tmp_path / "out")
    before = {p.name: p.read_bytes() for p in good.version_dir.iterdir()}
    os.utime(raw / "ratings" / "1.csv", ns=(2, 2))

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("interrupted mid-way")

    monkeypatch.setattr(etl.pq, "write_table", crash)
    with pytest.raises(KeyboardInterrupt):
        etl.run_etl(raw, tmp_path / "out")
    current = etl.current_version(tmp_path / "out")
    assert current == good.version_dir
    assert {p.name: p.read_bytes() for p in current.iterdir()} == before
    assert not list((tmp_path / "out").glob(".tmp-*"))


def test_cli(tmp_path, capsys):
    raw = write_raw(tmp_path / "raw")
    assert etl.main([str(raw), "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "processed" in printed and "data-quality report" in printed and "titles=9" in printed
    assert etl.main([str(tmp_path / "missing")]) == 2
    assert "error:" in capsys.readouterr().err


@pytest.mark.real_data
def test_real_data_etl(real_catalog):
    titles = real_catalog.titles
    assert len(titles) == 22_998 and titles["id"].is_unique
    assert titles["platform"].value_counts().to_dict() == {"amazon": 9668, "netflix": 8807, "hulu": 3073,
                                                          "disney": 1450}
    assert titles["id"].str.fullmatch(r"[adhn]s\d+").all()
    assert set(titles["type"]) == {"movie", "tv show"} and titles["rating"].notna().all()
    for column in titles.columns:
        if titles[column].dtype == "str":
            values = titles[column].dropna()
            assert (values == values.str.lower()).all(), column
    assert titles["date_added"].dropna().str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert set(titles["duration_type"].dropna()) == {"min", "season"}
    has_duration = titles["duration_int"].notna()
    assert (has_duration == titles["duration_type"].notna()).all() and has_duration.sum() > 22_800
    assert titles["n_ratings"].sum() == 11_024_289 - 10_466
    genres = titles["listed_in"].dropna().str.split(", ").explode()
    assert not genres.str.startswith("and ").any() and (genres == "arts/entertainment/culture").sum() == 483
    assert len(real_catalog.users) == 115_077
    assert real_catalog.users["n_ratings"].sum() == 11_013_823
    per_user = real_catalog.user_segments.groupby("user_row")["n_ratings"].sum()
    assert (per_user.to_numpy() == real_catalog.users["n_ratings"].to_numpy()).all()
    assert real_catalog.activity["n_ratings"].sum() == 11_013_823
    ratings = real_catalog.ratings(["user_id", "id", "date"])
    assert len(ratings) == 11_013_823 and not ratings.duplicated(["user_id", "id"]).any()
    assert ratings["date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    report = "\n".join(real_catalog.report)
    assert "10,466  exact duplicate row: excluded" in report


def test_temp_folders_of_killed_runs_are_removed_by_the_next_run(tmp_path):
    # The next run holds the ETL lock, so no other run can be writing a temp folder: any left is a killed run's.
    raw = write_raw(tmp_path / "raw")
    killed, link = tmp_path / "out" / ".tmp-killed", tmp_path / "out" / ".current-killed"
    killed.mkdir(parents=True)
    link.symlink_to("nowhere")
    etl.run_etl(raw, tmp_path / "out")
    assert not killed.exists() and not link.is_symlink()
