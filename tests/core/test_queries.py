"""Catalogue queries: hand-computed answers on a small catalogue, a brute-force property test, the real data."""

from __future__ import annotations

import gc
import json
import math
import threading
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import Catalog, InvalidQuery
from core import queries as q
from core.config import PLATFORMS

COLUMNS = ["id", "show_id", "platform", "type", "title", "director", "cast", "country", "date_added",
           "release_year", "rating", "duration_int", "duration_type", "listed_in", "description", "score", "n_ratings"]


def make_catalog(rows: list[dict]) -> Catalog:
    """A Catalog over titles in the processed schema; each row gives id, platform, type, title and what it needs."""
    filled = [{**{c: None for c in COLUMNS}, **row, "show_id": row["id"][1:], "rating": "g",
               "n_ratings": 0 if row.get("score") is None else 3} for row in rows]
    frame = pd.DataFrame(filled, columns=COLUMNS)
    text = [c for c in COLUMNS if c not in ("release_year", "duration_int", "score", "n_ratings")]
    frame = frame.astype({**{c: "str" for c in text}, "release_year": "Int16", "duration_int": "Int32",
                          "score": "float64", "n_ratings": "int32"})
    frame = frame.set_index("id", drop=False).rename_axis(None)
    return Catalog(titles=frame, users=pd.DataFrame(), user_segments=pd.DataFrame(), activity=pd.DataFrame(),
                   version_dir=Path("unused"), source="test", report=())


def movie(id_: str, title: str, year: int | None, minutes: int | None, cast: str | None = None,
          score: float | None = None, kind: str = "movie", unit: str = "min") -> dict:
    """One title row; the platform comes from the id's first letter."""
    platform = {p[0]: p for p in PLATFORMS}[id_[0]]
    return {"id": id_, "platform": platform, "type": kind, "title": title, "release_year": year,
            "duration_int": minutes, "duration_type": unit, "cast": cast, "score": score}


def show(id_: str, title: str, year: int | None, seasons: int, cast: str | None = None,
         score: float | None = None) -> dict:
    """One TV show row."""
    return movie(id_, title, year, seasons, cast, score, kind="tv show", unit="season")


SMALL = [
    # netflix: a 120-minute tie in 2020, a longer 2019 movie without ratings or cast, a longest movie of unknown year
    movie("ns1", "b movie", 2020, 120, "ann, bob", score=4.0),
    movie("ns2", "a movie", 2020, 120, "bob, carl", score=3.5),
    movie("ns3", "c long", 2019, 150, ", ,", score=None),
    show("ns4", "show one", 2020, 3, "carl, ann", score=4.5),
    show("ns5", "show two", 2019, 5, None, score=2.0),
    movie("ns6", "d movie", None, 200, "ann", score=3.0),
    movie("ns7", "no duration", 2020, None, None, score=None),
    # amazon: 'zoe' in three titles beats 'dan' in two, empty pieces in a cast, a placeholder '1'
    movie("as1", "z film", 2020, 120, "zoe,  , dan", score=3.6),
    movie("as2", "y film", 2020, 90, "dan, zoe, 1", score=5.0),
    show("as3", "y show", 2020, 2, "zoe", score=None),
    movie("as4", "a film", 2018, 120, "eve", score=3.5),
    # disney: an actor listed twice in one cast; a title equal to amazon's 'a film' (tie broken by id)
    movie("ds1", "frozen", 2020, 102, "ann, ann", score=4.2),
    movie("ds2", "a film", 2018, 120, "fay", score=1.0),
    # hulu: no cast at all; a 'movie' whose duration is in seasons
    movie("hs1", "hulu film", 2020, 95, None, score=1.0),
    movie("hs2", "hulu season film", 2020, 2, None, score=2.5, unit="season"),
]


@pytest.fixture(scope="module")
def small() -> Catalog:
    """The hand-made catalogue above."""
    return make_catalog(SMALL)


# ---------------------------------------------------------------------------------------------- parsing
@pytest.mark.parametrize("value, expected", [
    ("netflix", "netflix"), ("Netflix", "netflix"), (" NETFLIX ", "netflix"), ("Amazon Prime", "amazon"),
    ("prime", "amazon"), ("prime_video", "amazon"), ("amazon-prime-video", "amazon"), ("Disney+", "disney"),
    ("disney +", "disney"), ("Disney Plus", "disney"), ("disneyplus", "disney"), ("hulu", "hulu"),
])
def test_parse_platform_accepts_names_and_aliases(value, expected):
    assert q.parse_platform(value) == expected


@pytest.mark.parametrize("value, message", [
    ("hbo", "unknown platform 'hbo'; choose one of amazon, disney, hulu, netflix"),
    ("", "platform is empty"), ("  ", "platform is empty"), (None, "platform is required"),
    ("nétflix", "unknown platform 'nétflix'"), ("NETFLİX", "unknown platform"), ("net flix", "unknown platform"),
    (3, "platform must be text"), ("x" * 500, "platform is too long \\(500 characters; at most 200\\)"), ("x" * 150, "unknown platform 'xxxx"),
])
def test_parse_platform_rejects_with_a_message(value, message):
    with pytest.raises(InvalidQuery, match="^" + message.replace("+", r"\+")):
        q.parse_platform(value)


@pytest.mark.parametrize("value, expected", [
    (2020, 2020), ("2020", 2020), (" 1999 ", 1999), (2020.0, 2020), (np.int64(1800), 1800), ("2100", 2100),
    ("+2000", 2000),
])
def test_parse_year_accepts_whole_years(value, expected):
    year = q.parse_year(value)
    assert year == expected and type(year) is int


@pytest.mark.parametrize("value, message", [
    ("abc", "year must be a whole number, not 'abc'"), ("2020.5", "year must be a whole number"),
    ("2020.0", "year must be a whole number"), (2020.5, "year must be a whole number, not 2020.5"),
    (float("nan"), "year must be a whole number, not nan"), (float("inf"), "year must be a whole number"),
    (True, "year must be a whole number, not True"), (99999, "year 99999 is out of range"),
    ("99999", "year 99999 is out of range"), ("9" * 5000, "year is too long .5,000 characters; at most 200."), ("9" * 100, "year '9999.* is out of range"), (1799, "year 1799 is out"),
    ("-2020", "year -2020 is out of range"), ("", "year is empty"), (None, "year is required"),
    ("２０２０", "year must be a whole number"), ("2_020", "year must be a whole number"), ([2020], "year must be"),
])
def test_parse_year_rejects_with_a_message(value, message):
    with pytest.raises(InvalidQuery, match="^" + message):
        q.parse_year(value)


def test_parsers_survive_numbers_past_every_limit():
    # ints past Python's 4300-digit str limit, Fractions past the float range, signalling NaN Decimals
    with pytest.raises(InvalidQuery, match=r"^year <a 16610-bit number> is out of range"):
        q.parse_year(10**5000)
    with pytest.raises(InvalidQuery, match=r"^year must be a whole number"):
        q.parse_year(Fraction(10**400 + 1, 2))
    assert q.parse_year(Fraction(4040, 2)) == 2020 and q.parse_year(Decimal("2020")) == 2020
    with pytest.raises(InvalidQuery, match=r"^year must be a whole number, not Decimal\('sNaN'\)"):
        q.parse_year(Decimal("sNaN"))
    with pytest.raises(InvalidQuery, match=r"^score Fraction\(1000.* is out of range"):
        q.parse_score(Fraction(10**400, 1))
    with pytest.raises(InvalidQuery, match=r"^score must be a number, not Decimal\('sNaN'\)"):
        q.parse_score(Decimal("sNaN"))
    with pytest.raises(InvalidQuery, match=r"^n must be a whole number from 1 to 1000, not <a 16610-bit number>"):
        q.parse_count(10**5000)


def test_optional_parsers_pass_none_through():
    assert q.parse_optional_year(None) is None and q.parse_optional_platform(None) is None
    assert q.parse_duration_type(None) == "min" and q.parse_content_type(None) == "movie"


@pytest.mark.parametrize("value, expected", [(0, 0.0), (5, 5.0), ("3.5", 3.5), (" .5 ", 0.5), ("4.", 4.0),
                                             (np.float32(2.5), 2.5), ("0", 0.0)])
def test_parse_score_accepts_0_to_5(value, expected):
    assert q.parse_score(value) == expected


@pytest.mark.parametrize("value, message", [
    (7, "score 7 is out of range; give a number from 0 to 5"), ("-0.1", "score -0.1 is out of range"),
    (5.0001, "score 5.0001 is out of range"), ("nan", "score must be a number, not 'nan'"),
    (float("nan"), "score must be a number, not NaN"), ("inf", "score must be a number"),
    (float("inf"), "score inf is out of range"), ("3,5", "score must be a number, not '3,5'"),
    ("", "score is empty"), (None, "score is required"), (False, "score must be a number, not False"),
    ("1e0", "score must be a number"),
])
def test_parse_score_rejects_with_a_message(value, message):
    with pytest.raises(InvalidQuery, match="^" + message):
        q.parse_score(value)


@pytest.mark.parametrize("value, expected", [("min", "min"), ("Minutes", "min"), ("season", "season"),
                                             ("SEASONS", "season")])
def test_parse_duration_type(value, expected):
    assert q.parse_duration_type(value) == expected


@pytest.mark.parametrize("value, expected", [("movie", "movie"), ("Movies", "movie"), ("tv show", "tv show"),
                                             ("TV_Show", "tv show"), ("series", "tv show"), ("all", "all")])
def test_parse_content_type(value, expected):
    assert q.parse_content_type(value) == expected


@pytest.mark.parametrize("parse, value, message", [
    (q.parse_duration_type, "hours", "unknown duration type 'hours'; choose min or season"),
    (q.parse_duration_type, "", "duration type is empty"),
    (q.parse_content_type, "podcast", "unknown content type 'podcast'; choose movie, tv show or all"),
    (q.parse_count, 0, "n must be a whole number from 1 to 1000"), (q.parse_count, "x", "n must be"),
    (q.parse_count, True, "n must be"), (q.parse_count, 1001, "n must be"),
])
def test_other_parsers_reject_with_a_message(parse, value, message):
    with pytest.raises(InvalidQuery, match="^" + message):
        parse(value)


# ---------------------------------------------------------------------------------------------- query 1
@pytest.mark.parametrize("year, platform, duration_type, expected", [
    (None, None, None, "ns6"), (None, None, "min", "ns6"), (None, None, "season", "ns5"),
    (2020, None, None, "ns2"), (2020, None, "min", "ns2"), (2020, None, "season", "ns4"),
    (None, "netflix", None, "ns6"), (None, "netflix", "min", "ns6"), (None, "netflix", "season", "ns5"),
    (2020, "netflix", None, "ns2"), (2020, "netflix", "min", "ns2"), (2020, "netflix", "season", "ns4"),
    (2020, "hulu", "season", "hs2"), (2018, None, "min", "as4"), (2018, "disney", "min", "ds2"),
    (2019, "amazon", None, None), (2021, None, "season", None), (1800, None, None, None),
])
def test_max_duration_every_filter_combination(small, year, platform, duration_type, expected):
    result = q.get_max_duration(small, year=year, platform=platform, duration_type=duration_type)
    assert (result["id"] if result else None) == expected


def test_max_duration_answer_fields_are_plain_python(small):
    result = q.get_max_duration(small, "2020", "Netflix", "minutes")
    assert result == {"id": "ns2", "title": "a movie", "platform": "netflix", "type": "movie",
                      "release_year": 2020, "duration_int": 120, "duration_type": "min", "score": 3.5,
                      "n_ratings": 3}
    assert [type(v) for v in result.values()] == [str, str, str, str, int, int, str, float, int]
    assert q.get_max_duration(small, platform="netflix", year=2019)["score"] is None  # unrated: None, not NaN
    json.dumps(q.longest_titles(small, n=100), allow_nan=False)


def test_longest_titles_ranks_ties_by_title_then_id(small):
    ranked = q.longest_titles(small, n=5)
    assert [r["id"] for r in ranked] == ["ns6", "ns3", "as4", "ds2", "ns2"]
    assert [r["id"] for r in q.longest_titles(small, year=2020, n=3)] == ["ns2", "ns1", "as1"]
    assert len(q.longest_titles(small, n=1000)) == 10  # the title without a duration is never listed


def test_longest_titles_results_are_fresh_copies(small):
    q.longest_titles(small, n=1)[0]["title"] = "changed"
    assert q.get_max_duration(small)["title"] == "d movie"


# ---------------------------------------------------------------------------------------------- query 2
@pytest.mark.parametrize("platform, scored, year, content_type, expected", [
    ("netflix", 3.5, 2020, "movie", 1),  # 3.5 itself is not strictly greater
    ("netflix", 3.4999, 2020, "movie", 2), ("netflix", 3.5, 2020, "all", 2), ("netflix", 3.5, 2020, "tv show", 1),
    ("netflix", 0, 2019, "movie", 0),  # the only 2019 movie has no rating
    ("netflix", 0, 2019, "all", 1), ("amazon", 5, 2020, "movie", 0), ("amazon", 4.99, 2020, "movie", 1),
    ("amazon", 0, 2020, "all", 2), ("amazon", "3.5", "2018", "movie", 0), ("disney", 0.5, 2018, "movie", 1),
    ("hulu", 0, 2020, "movie", 2), ("netflix", 0, 1999, "all", 0), ("Prime", 3, 2020, "Movies", 2),
])
def test_score_count(small, platform, scored, year, content_type, expected):
    count = q.get_score_count(small, platform, scored, year, content_type)
    assert count == expected and type(count) is int


def test_score_count_defaults_to_movies(small):
    assert q.get_score_count(small, "netflix", 0, 2020) == 2


# ---------------------------------------------------------------------------------------------- query 3
def test_count_platform(small):
    assert q.get_count_platform(small, "netflix") == {"platform": "netflix", "movies": 5, "tv_shows": 2, "total": 7}
    assert q.get_count_platform(small, "Amazon Prime") == {"platform": "amazon", "movies": 3, "tv_shows": 1,
                                                             "total": 4}
    assert q.get_count_platform(small, "hulu") == {"platform": "hulu", "movies": 2, "tv_shows": 0, "total": 2}


# ---------------------------------------------------------------------------------------------- query 4
@pytest.mark.parametrize("platform, year, expected", [
    ("netflix", 2020, ("ann", 2)),  # ann, bob and carl tie on 2: alphabetical first
    ("amazon", 2020, ("zoe", 3)),  # more titles beats alphabetical; empty pieces and '1' are no names
    ("disney", 2020, ("ann", 1)),  # listed twice in one title: one title
    ("netflix", 2019, None),  # a cast of empty pieces, and no cast
    ("hulu", 2020, None), ("netflix", 1990, None),
])
def test_get_actor(small, platform, year, expected):
    result = q.get_actor(small, platform, year)
    if expected is None:
        assert result is None
    else:
        assert result == {"platform": platform, "year": year, "actor": expected[0], "count": expected[1]}


def test_top_actors(small):
    assert q.top_actors(small, "netflix", "2020", n=2) == [{"actor": "ann", "count": 2}, {"actor": "bob", "count": 2}]
    assert q.top_actors(small, "amazon", 2020) == [{"actor": "zoe", "count": 3}, {"actor": "dan", "count": 2}]
    assert q.top_actors(small, "hulu", 2020) == []


def test_query_ranges(small):
    ranges = q.query_ranges(small)
    assert ranges["platforms"]["netflix"] == {"titles": 7, "year_min": 2019, "year_max": 2020, "score_min": 2.0,
                                              "score_max": 4.5}
    assert (ranges["year_min"], ranges["year_max"]) == (2018, 2020)
    assert ranges["year_limits"] == [1800, 2100] and ranges["score_limits"] == [0.0, 5.0]
    json.dumps(ranges, allow_nan=False)


@pytest.mark.parametrize("call", [
    lambda c: q.get_max_duration(c, platform="hbo"), lambda c: q.get_max_duration(c, year="abc"),
    lambda c: q.get_max_duration(c, duration_type="hours"), lambda c: q.get_score_count(c, "netflix", 7, 2020),
    lambda c: q.get_score_count(c, "netflix", 3, 2020, "podcast"), lambda c: q.get_count_platform(c, "hbo"),
    lambda c: q.get_actor(c, "netflix", 99999), lambda c: q.top_actors(c, "netflix", 2020, n=0),
])
def test_invalid_input_raises_invalid_query(small, call):
    with pytest.raises(InvalidQuery):
        call(small)


# ---------------------------------------------------------------------------------------------- index
def test_index_is_built_once_per_catalog_and_dropped_with_it():
    catalog = make_catalog(SMALL)
    threads_saw = []
    threads = [threading.Thread(target=lambda: threads_saw.append(q.query_index(catalog))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(index is threads_saw[0] for index in threads_saw)
    key = id(catalog)
    del catalog, threads, threads_saw
    gc.collect()
    assert key not in q._INDEXES


def test_a_new_catalog_gets_its_own_index_even_at_a_reused_id():
    answers = []
    for rows in (SMALL, SMALL[:3]):  # the first catalogue dies before the second is made: its id may come back
        answers.append(q.get_count_platform(make_catalog(rows), "netflix")["total"])
    assert answers == [7, 3]


# ---------------------------------------------------------------------------------------------- brute force
def _longest_reference(rows, year, platform, unit):
    unit = unit or "min"
    pool = [r for r in rows if r["duration_type"] == unit and r["duration_int"] is not None
            and (year is None or r["release_year"] == year) and (platform is None or r["platform"] == platform)]
    return min(pool, key=lambda r: (-r["duration_int"], r["title"], r["id"]))["id"] if pool else None


def _score_reference(rows, platform, scored, year, kind):
    return sum(1 for r in rows if r["platform"] == platform and r["release_year"] == year
               and (kind == "all" or r["type"] == kind) and r["score"] is not None and r["score"] > scored)


def _actor_reference(rows, platform, year):
    counts: dict[str, int] = {}
    for r in rows:
        if r["platform"] == platform and r["release_year"] == year and r["cast"]:
            for name in {n.strip() for n in r["cast"].split(",")}:
                if any(ch.isalpha() for ch in name):
                    counts[name] = counts.get(name, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ranked


NAMES = st.sampled_from(["ann", "bob", " cy ", "", "dé", "1", "ann"])
SCORES = [0.5, 3.5, 5.0]
ROWS = st.lists(st.fixed_dictionaries({
    "platform": st.sampled_from(PLATFORMS), "type": st.sampled_from(["movie", "tv show"]),
    "title": st.sampled_from(["a", "b", "a b", "B", "é"]), "release_year": st.sampled_from([None, 2019, 2020]),
    "duration_int": st.sampled_from([None, 1, 2, 90, 120]), "duration_type": st.sampled_from(["min", "season"]),
    "cast": st.one_of(st.none(), st.lists(NAMES, min_size=1, max_size=4).map(",".join)),
    "score": st.one_of(st.none(), st.sampled_from(SCORES), st.floats(0.5, 5.0)),
}), min_size=0, max_size=25)


def params_for(rows: list[dict]) -> st.SearchStrategy[dict]:
    """Query parameters, mostly taken from the rows so that filters match and scores hit thresholds exactly."""
    seen = rows or [{"platform": "netflix", "release_year": 2020, "score": None}]
    platforms = st.one_of(st.sampled_from([r["platform"] for r in seen]), st.sampled_from(PLATFORMS))
    years = st.one_of(st.sampled_from([r["release_year"] or 2019 for r in seen]), st.sampled_from([2019, 2021]))
    scores = [r["score"] for r in seen if r["score"] is not None]
    return st.fixed_dictionaries({
        "platform": platforms, "maybe_platform": st.one_of(st.none(), platforms),
        "year": years, "maybe_year": st.one_of(st.none(), years),
        "unit": st.sampled_from([None, "min", "season"]), "kind": st.sampled_from(["movie", "tv show", "all"]),
        "scored": st.one_of(st.sampled_from(scores or [0]), st.sampled_from([0, 5, *SCORES]), st.floats(0, 5)),
    })


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=ROWS, data=st.data())
def test_queries_match_a_brute_force_reference(rows, data):
    rows = [{**row, "id": f"{row['platform'][0]}s{i}"} for i, row in enumerate(rows)]
    catalog = make_catalog(rows)
    for p in data.draw(st.lists(params_for(rows), min_size=1, max_size=6)):
        longest = q.get_max_duration(catalog, p["maybe_year"], p["maybe_platform"], p["unit"])
        assert (longest["id"] if longest else None) == _longest_reference(rows, p["maybe_year"], p["maybe_platform"],
                                                                          p["unit"])
        assert q.get_score_count(catalog, p["platform"], p["scored"], p["year"], p["kind"]) == _score_reference(
            rows, p["platform"], p["scored"], p["year"], p["kind"])
        ranked = _actor_reference(rows, p["platform"], p["year"])
        actor = q.get_actor(catalog, p["platform"], p["year"])
        assert ((actor["actor"], actor["count"]) if actor else None) == (ranked[0] if ranked else None)
        assert [(a["actor"], a["count"]) for a in q.top_actors(catalog, p["platform"], p["year"], n=3)] == ranked[:3]
        counts = q.get_count_platform(catalog, p["platform"])
        mine = [r for r in rows if r["platform"] == p["platform"]]
        assert counts == {"platform": p["platform"], "movies": sum(r["type"] == "movie" for r in mine),
                          "tv_shows": sum(r["type"] == "tv show" for r in mine), "total": len(mine)}


# ---------------------------------------------------------------------------------------------- real data
@pytest.mark.real_data
def test_real_platform_counts(real_catalog):
    assert len(real_catalog.titles) == 22_998
    expected = {"amazon": (7814, 1854, 9668), "disney": (1052, 398, 1450), "hulu": (1484, 1589, 3073),
                "netflix": (6131, 2676, 8807)}
    for platform, (movies, shows, total) in expected.items():
        assert q.get_count_platform(real_catalog, platform) == {"platform": platform, "movies": movies,
                                                                 "tv_shows": shows, "total": total}


@pytest.mark.real_data
@pytest.mark.parametrize("year, platform, unit, title, length", [
    (None, None, None, "soothing surf at del norte for sleep black screen", 601),
    (None, "netflix", "min", "black mirror: bandersnatch", 312),
    (None, "netflix", "season", "grey's anatomy", 17),
    (None, "disney", "min", "marvel studios' avengers: endgame", 183),
    (None, "disney", "season", "the simpsons", 32),
    (None, "hulu", None, "stephen king's it", 192),
    (None, None, "season", "survivor", 34),
    (2020, "netflix", "min", "unbreakable kimmy schmidt: kimmy vs. the reverend", 190),
])
def test_real_longest_titles(real_catalog, year, platform, unit, title, length):
    result = q.get_max_duration(real_catalog, year, platform, unit)
    assert (result["title"], result["duration_int"]) == (title, length)


@pytest.mark.real_data
@pytest.mark.parametrize("platform, scored, year, kind, expected", [
    # Counted independently from the 11M ratings (mean per title, strictly greater).
    ("netflix", 3.5, 2020, "movie", 164), ("amazon", 3.0, 2019, "movie", 578), ("disney", 4.0, 2021, "all", 24),
    ("hulu", 3.5, 2018, "tv show", 55), ("netflix", 0, 2020, "movie", 517),
])
def test_real_score_counts(real_catalog, platform, scored, year, kind, expected):
    assert q.get_score_count(real_catalog, platform, scored, year, kind) == expected


@pytest.mark.real_data
def test_real_actors(real_catalog):
    # blossom chukwujekwu and keith wickham both appear in 6 netflix titles of 2020: alphabetical first wins.
    assert q.get_actor(real_catalog, "netflix", 2020) == {"platform": "netflix", "year": 2020,
                                                          "actor": "blossom chukwujekwu", "count": 6}
    assert q.get_actor(real_catalog, "amazon", 2019)["actor"] == "maggie binkley"
    # Amazon's placeholder titles of 2021 list the cast '1, 2, 3': 35 of them, yet '1' is no actor.
    assert q.get_actor(real_catalog, "amazon", 2021) == {"platform": "amazon", "year": 2021, "actor": "om nom",
                                                         "count": 10}
    assert all(q.get_actor(real_catalog, "hulu", year) is None for year in range(2000, 2022))  # no cast at all


@pytest.mark.real_data
def test_real_ranges(real_catalog):
    ranges = q.query_ranges(real_catalog)
    assert (ranges["year_min"], ranges["year_max"]) == (1920, 2021)
    assert ranges["platforms"]["disney"]["year_min"] == 1928
    assert all(1 <= r["score_min"] < r["score_max"] <= 5 and not math.isnan(r["score_max"])
               for r in ranges["platforms"].values())
