"""core.eda on a small hand-made catalogue: every answer below is computed by hand from ROWS and the fixtures."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from core import eda
from core.errors import InvalidQuery

COLUMNS = ["id", "platform", "type", "title", "country", "release_year", "rating", "duration_int", "duration_type",
           "listed_in", "genres", "score", "n_ratings", "description"]
ROWS = [
    ("a1", "amazon", "movie", "alpha", "united states, india", 2000, "r", 90, "min", "drama, comedy", "comedy, drama", 4.0, 100, "x"),
    ("a2", "amazon", "movie", "beta", "united states", 2010, "pg", 120, "min", "drama", "drama", 3.0, 50, "x"),
    ("a3", "amazon", "tv show", "gamma", None, 2015, "tv-ma", 2, "season", "comedy", "comedy", 2.0, 10, "x"),
    ("d1", "disney", "movie", "delta", "united states", 2005, "g", 60, "min", "family, comedy, comedy", "comedy",
     np.nan, 0,
     "x"),
    ("n1", "netflix", "tv show", "epsilon", "india", 2020, "tv-14", 1, "season", "dramas", "drama", 3.5, 200, "x"),
    ("n2", "netflix", "tv show", "zeta", "", 2021, "weird", 12, "season", "dramas, comedies", "comedy, drama", 4.5, 300, "x"),
    ("n3", "netflix", "movie", "eta", "united kingdom", 1999, "nr", 100, "min", "comedies", "comedy", 2.5, 40, "x"),
]


@pytest.fixture()
def titles() -> pd.DataFrame:
    """Seven titles over three platforms, indexed by id like Catalog.titles."""
    frame = pd.DataFrame(ROWS, columns=COLUMNS).astype({"release_year": "Int16", "duration_int": "Int32",
                                                       "n_ratings": "int32"})
    return frame.set_index("id", drop=False).rename_axis(None)


@pytest.fixture()
def user_segments() -> pd.DataFrame:
    """Four users' ratings per segment of ROWS, adding up to each title segment's n_ratings (700 in all).

    Totals: user 0: 160 (a1 60, n1 100), user 1: 60 (a2 50, a3 10), user 2: 300 (n2), user 3: 180 (a1 40, n1 100,
    n3 40).
    """
    rows = [(0, "amazon", "movie", 2000, 60), (0, "netflix", "tv show", 2020, 100), (1, "amazon", "movie", 2010, 50),
            (1, "amazon", "tv show", 2015, 10), (2, "netflix", "tv show", 2021, 300), (3, "amazon", "movie", 2000, 40),
            (3, "netflix", "tv show", 2020, 100), (3, "netflix", "movie", 1999, 40)]
    frame = pd.DataFrame(rows, columns=["user_row", "platform", "type", "release_year", "n_ratings"])
    return frame.astype({"user_row": "int32", "platform": "category", "type": "category", "release_year": "Int16",
                         "n_ratings": "int32"})


@pytest.fixture()
def activity() -> pd.DataFrame:
    """Monthly ratings of five segments of ROWS."""
    rows = [("2020-01", "amazon", "movie", 2000, 7, 24.5), ("2020-02", "amazon", "tv show", 2015, 1, 2.0),
            ("2020-01", "netflix", "tv show", 2020, 3, 12.0), ("2020-02", "netflix", "tv show", 2021, 5, 15.0),
            ("2020-02", "netflix", "movie", 1999, 2, 9.0)]
    frame = pd.DataFrame(rows, columns=["month", "platform", "type", "release_year", "n_ratings", "rating_sum"])
    return frame.astype({"platform": "category", "type": "category", "release_year": "Int16", "n_ratings": "int32"})


def records(table: eda.Table | pd.DataFrame, columns: list[str]) -> list[tuple]:
    """Rows of some columns as plain tuples."""
    return list(zip(*(list(table[column]) for column in columns)))


# ---------------------------------------------------------------------------------------------- filters
def test_filter_titles_by_platform_type_and_inclusive_years(titles):
    kept = eda.filter_titles(titles, eda.Filters(("amazon", "netflix"), "movie", (2000, 2010)))
    assert kept.index.tolist() == ["a1", "a2"]  # n3 (1999) and the shows are out; both ends are included


def test_filter_titles_keeps_the_frame_when_nothing_is_filtered_and_picks_columns(titles):
    assert eda.filter_titles(titles, eda.Filters()) is titles
    kept = eda.filter_titles(titles, eda.Filters(("disney",)), ["id", "platform"])
    assert kept.columns.tolist() == ["id", "platform"] and kept.index.tolist() == ["d1"]


def test_filter_titles_without_platforms_keeps_nothing(titles):
    assert eda.filter_titles(titles, eda.Filters(platforms=())).empty


def test_make_filters_reads_widget_values_and_aliases():
    filters = eda.make_filters(["Netflix", "Disney+"], "TV Shows", [2000, 2010], (1990, 2021))
    assert filters == eda.Filters(("disney", "netflix"), "tv show", (2000, 2010))
    assert eda.make_filters(None, None, None, (1990, 2021)) == eda.Filters((), "all", None)
    assert eda.make_filters(["amazon"], "all", [1990, 2021], (1990, 2021)).years is None  # full range: no filter
    assert eda.make_filters(["amazon"], "movie", [2000.0, "2001"], (1990, 2021)).years == (2000, 2001)


@pytest.mark.parametrize("platforms, kind, years", [
    (["hbo"], "all", None),
    ("netflix", "all", None),
    (["netflix"], "cartoon", None),
    (["netflix"], "all", [2010, 2000]),
    (["netflix"], "all", [1980, 2000]),
    (["netflix"], "all", [2000, 2030]),
    (["netflix"], "all", [2000]),
    (["netflix"], "all", ["a", "b"]),
    (["netflix"], "all", [2000.5, 2001]),
    (["netflix"], "all", [True, 2001]),
    (["netflix"], "all", "2000-2010"),
])
def test_make_filters_rejects_impossible_values(platforms, kind, years):
    with pytest.raises(InvalidQuery):
        eda.make_filters(platforms, kind, years, (1990, 2021))


def test_year_bounds(titles):
    assert eda.year_bounds(titles) == (1999, 2021)


# ---------------------------------------------------------------------------------------------- headline
def test_headline(titles, user_segments):
    everyone = eda.user_totals(user_segments, eda.Filters())
    assert eda.headline(titles, everyone) == {"titles": 7, "users": 4, "ratings": 700, "mean_score": 3.25,
                                              "rated_titles": 6}
    assert eda.headline(titles.iloc[0:0], everyone[:0]) == {"titles": 0, "users": 0, "ratings": 0,
                                                            "mean_score": None, "rated_titles": 0}


@pytest.mark.parametrize("filters, totals", [
    (eda.Filters(), [60, 160, 180, 300]),
    (eda.Filters(platforms=("netflix",)), [100, 140, 300]),
    (eda.Filters(content_type="movie"), [50, 60, 80]),  # users 1, 0 and 3 (a1 40 + n3 40)
    (eda.Filters(years=(2000, 2010)), [40, 50, 60]),
    (eda.Filters(platforms=("amazon",), content_type="tv show"), [10]),
    (eda.Filters(platforms=("disney",)), []),  # its one title is unrated
    (eda.Filters(platforms=()), []),
])
def test_user_totals_follow_every_filter(user_segments, filters, totals):
    assert sorted(eda.user_totals(user_segments, filters).tolist()) == totals


@pytest.mark.parametrize("filters", [eda.Filters(), eda.Filters(("amazon", "netflix"), "movie", (1999, 2005)),
                                     eda.Filters(("netflix",), "tv show", None), eda.Filters(years=(2016, 2021))])
def test_user_totals_add_up_to_the_ratings_of_the_kept_titles(titles, user_segments, filters):
    kept = eda.filter_titles(titles, filters)
    assert eda.user_totals(user_segments, filters).sum() == kept["n_ratings"].sum()


@pytest.mark.parametrize("spacing", [1, 2, 3, 80_000])
@pytest.mark.parametrize("order", ["by_segment", "shuffled"])
def test_user_totals_from_checkpoints_match_a_direct_sum(user_segments, monkeypatch, spacing, order):
    monkeypatch.setattr(eda, "CHECKPOINT_ROWS", spacing)  # checkpoints inside the (platform, type) groups too
    frame = {"by_segment": user_segments.sort_values(["platform", "type", "release_year"]),
             "shuffled": user_segments.sample(frac=1, random_state=5)}[order].reset_index(drop=True)
    for platforms, kind, years in itertools.product(
            [("amazon",), ("netflix",), ("amazon", "netflix"), ("amazon", "disney", "hulu", "netflix")],
            ["all", "movie", "tv show"], [None, (1999, 2000), (2000, 2015), (2016, 2021), (2021, 2021)]):
        filters = eda.Filters(platforms, kind, years)
        kept = frame[eda.kept_rows(frame, filters)]
        direct = np.bincount(kept["user_row"], weights=kept["n_ratings"], minlength=4)
        assert eda.user_totals(frame, filters).tolist() == direct[direct > 0].astype(int).tolist(), filters


def test_user_totals_of_the_whole_catalogue_are_computed_once_and_read_only(user_segments):
    first = eda.user_totals(user_segments, eda.Filters())
    assert eda.user_totals(user_segments, eda.Filters()) is first
    with pytest.raises(ValueError):
        first[0] = 1


# ---------------------------------------------------------------------------------------------- charts
def test_titles_by_platform_type(titles):
    table = eda.titles_by_platform_type(titles)
    assert records(table, ["platform", "type", "titles", "share"]) == [
        ("amazon", "movie", 2, 66.67), ("amazon", "tv show", 1, 33.33), ("disney", "movie", 1, 100.0),
        ("netflix", "movie", 1, 33.33), ("netflix", "tv show", 2, 66.67)]


def test_releases_per_year_fills_missing_years_with_zeros(titles):
    table = eda.releases_per_year(titles[titles["platform"] == "amazon"])
    assert table["release_year"] == list(range(2000, 2016))
    counts = dict(zip(table["release_year"], table["titles"]))
    assert counts[2000] == counts[2010] == counts[2015] == 1 and sum(counts.values()) == 3


def test_movie_minutes_box_statistics(titles):
    table = pd.DataFrame(eda.movie_minutes(titles)).set_index("platform")
    amazon = table.loc["amazon"]  # runtimes 90 and 120
    assert (amazon["movies"], amazon["low"], amazon["q1"], amazon["median"], amazon["q3"], amazon["high"],
            amazon["mean"]) == (2, 91.5, 97.5, 105.0, 112.5, 118.5, 105.0)
    assert table.loc["disney", "median"] == 60 and table.loc["netflix", "movies"] == 1
    assert table.index.tolist() == ["amazon", "disney", "netflix"]


def test_show_seasons_caps_long_shows(titles):
    table = eda.show_seasons(titles, cap=10)
    assert records(table, ["platform", "label", "shows", "share"]) == [
        ("amazon", "2", 1, 100.0), ("netflix", "1", 1, 50.0), ("netflix", "10+", 1, 50.0)]


def test_maturity_mix_groups_codes_into_audiences(titles):
    table = eda.maturity_mix(titles)
    assert records(table, ["platform", "audience", "titles", "share"]) == [
        ("amazon", "guidance", 1, 33.33), ("amazon", "adults", 2, 66.67), ("disney", "all ages", 1, 100.0),
        ("netflix", "teens", 1, 33.33), ("netflix", "unrated", 2, 66.67)]


def test_audience_of_and_codes():
    codes = pd.Series(["tv-ma", "tv-y7", "13+", "g", "pg", "nr", "???"])
    assert eda.audience_of(codes).tolist() == ["adults", "kids", "teens", "all ages", "guidance", "unrated",
                                               "unrated"]
    bands = eda.audience_codes()
    assert list(bands) == list(eda.AUDIENCES) and "tv-ma" in bands["adults"]


def test_top_genres_takes_each_platforms_top_and_counts_a_title_once(titles):
    # Canonical genres: amazon drama 2, comedy 2 (tie -> alphabetical: comedy); disney: comedy 1 (its 'family' is
    # an audience, not a genre); netflix: comedy 2 ('comedies'), drama 2 ('dramas') -> comedy. Shares are of each
    # platform's titles.
    table = eda.top_genres(titles, per_platform=1)
    assert records(table, ["genre", "platform", "titles", "share"]) == [
        ("comedy", "amazon", 2, 66.67), ("comedy", "disney", 1, 100.0), ("comedy", "netflix", 2, 66.67)]
    both = eda.top_genres(titles, per_platform=2)
    assert records(both, ["genre", "platform", "titles"])[-2:] == [("drama", "amazon", 2), ("drama", "netflix", 2)]


def test_genre_filter_keeps_titles_listing_any_chosen_genre(titles):
    known = eda.genre_names(titles)
    assert known == ("comedy", "drama")
    drama = eda.make_filters(["amazon", "netflix"], "all", None, (1990, 2021), ["Drama"], known)
    assert drama.genres == ("drama",) and not drama.is_default()
    assert list(eda.filter_titles(titles, drama).index) == ["a1", "a2", "n1", "n2"]
    either = eda.Filters(genres=("comedy", "drama"))
    assert len(eda.filter_titles(titles, either)) == 7
    netflix_drama = eda.Filters(("netflix",), "tv show", (2021, 2021), ("drama",))
    assert list(eda.select(titles, netflix_drama).mask.nonzero()[0]) == [5]
    assert eda.make_filters(None, None, None, (1990, 2021), [], known).genres == ()


@pytest.mark.parametrize("genres", ["drama", ["dramas"], [3], ["drama"] * 3, [None]])
def test_a_genre_filter_that_names_no_known_genre_is_refused(titles, genres):
    with pytest.raises(InvalidQuery):
        eda.make_filters(["amazon"], "all", None, (1990, 2021), genres, eda.genre_names(titles))


def test_genre_filtered_rating_numbers_need_the_ratings_per_title(titles, user_segments, activity):
    filters = eda.Filters(genres=("drama",))
    with pytest.raises(ValueError):
        eda.kept_user_totals(eda.select(titles, filters), filters, user_segments, None)
    with pytest.raises(ValueError):
        eda.kept_rating_activity(eda.select(titles, filters), filters, activity, None)
    plain = eda.Filters(("amazon",))
    counts = eda.kept_user_totals(eda.select(titles, plain), plain, user_segments, None)
    table = eda.kept_rating_activity(eda.select(titles, plain), plain, activity, None)
    assert sorted(counts.tolist()) == [40, 60, 60] and table == eda.rating_activity(activity, plain)


CHART_TABLES = ["titles_by_platform_type", "releases_per_year", "movie_minutes", "show_seasons", "maturity_mix",
                "top_genres", "top_countries", "known_country_share", "score_distribution", "mean_scores"]


@pytest.mark.parametrize("filters", [eda.Filters(), eda.Filters(("amazon", "netflix"), "all", (2000, 2021)),
                                     eda.Filters(("netflix",), "tv show"), eda.Filters(("disney",), "tv show"),
                                     eda.Filters(content_type="movie", years=(1999, 2005)),
                                     eda.Filters(("amazon", "disney"), genres=("comedy",))])
def test_a_selection_of_the_catalogue_gives_the_tables_of_the_filtered_frame(titles, filters):
    some, selected = eda.filter_titles(titles, filters), eda.select(titles, filters)
    assert selected.mask.sum() == len(some)
    for name in CHART_TABLES:
        assert getattr(eda, name)(selected) == getattr(eda, name)(some), name
    assert eda.headline(selected, np.zeros(0)) == eda.headline(some, np.zeros(0))


def test_top_countries_counts_co_productions_for_each_country(titles):
    table = eda.top_countries(titles, n=2)
    assert records(table, ["country", "platform", "titles"]) == [
        ("united states", "amazon", 2), ("united states", "disney", 1), ("india", "amazon", 1),
        ("india", "netflix", 1)]


def test_known_country_share(titles):
    assert eda.known_country_share(titles) == 71.43  # 5 of 7: one null, one empty
    assert eda.known_country_share(titles.iloc[0:0]) is None


def test_score_distribution_and_mean_scores(titles):
    table = eda.score_distribution(titles, width=1.0)
    assert records(table, ["platform", "start", "end", "titles", "share"]) == [
        ("amazon", 2.0, 3.0, 1, 33.33), ("amazon", 3.0, 4.0, 1, 33.33), ("amazon", 4.0, 5.0, 1, 33.33),
        ("netflix", 2.0, 3.0, 1, 33.33), ("netflix", 3.0, 4.0, 1, 33.33), ("netflix", 4.0, 5.0, 1, 33.33)]
    means = eda.mean_scores(titles)  # disney's only title is unrated
    assert records(means, ["platform", "titles", "mean", "median"]) == [("amazon", 3, 3.0, 3.0),
                                                                       ("netflix", 3, 3.5, 3.5)]


def test_rating_activity_sums_the_kept_segments_per_month_and_platform(activity):
    netflix = eda.rating_activity(activity, eda.Filters(platforms=("netflix",)))
    assert records(netflix, ["month", "platform", "ratings"]) == [("2020-01", "netflix", 3), ("2020-02", "netflix", 7)]
    assert netflix["mean_rating"] == [4.0, 24 / 7]  # (15 + 9) / (5 + 2)
    shows = eda.rating_activity(activity, eda.Filters(content_type="tv show"))
    assert records(shows, ["month", "platform", "ratings"]) == [
        ("2020-01", "netflix", 3), ("2020-02", "amazon", 1), ("2020-02", "netflix", 5)]
    old = eda.rating_activity(activity, eda.Filters(years=(1990, 2000)))
    assert records(old, ["month", "platform", "ratings", "mean_rating"]) == [
        ("2020-01", "amazon", 7, 3.5), ("2020-02", "netflix", 2, 4.5)]
    assert records(eda.rating_activity(activity, eda.Filters(platforms=())), ["month", "ratings"]) == []


def test_ratings_per_user_long_tail():
    table = eda.ratings_per_user(np.array([20, 25, 60, 700]))
    assert records(table, ["label", "users", "ratings", "user_share", "rating_share"]) == [
        ("20–49", 2, 45, 50.0, 5.59), ("50–99", 1, 60, 25.0, 7.45), ("500–999", 1, 700, 25.0, 86.96)]
    ones = eda.ratings_per_user(np.array([1, 1, 3, 5000]))
    assert records(ones, ["label", "users"]) == [("1", 2), ("2–4", 1), ("5,000+", 1)]
    assert eda.top_user_share(np.array([20, 25, 60, 700]), 0.1) == 86.96  # the top user (of 4) gives 700 of 805
    assert eda.top_user_share(np.array([20, 25, 60, 700]), 0.5) == round(100 * 760 / 805, 2)


def test_ratings_per_user_under_filters_starts_at_one_rating(user_segments):
    counts = eda.user_totals(user_segments, eda.Filters(platforms=("amazon",), content_type="tv show"))
    assert records(eda.ratings_per_user(counts), ["label", "users", "ratings"]) == [("10–19", 1, 10)]
    assert records(eda.ratings_per_user(np.array([], dtype="int64")), ["label", "users"]) == []
    assert eda.top_user_share(np.array([], dtype="int64")) is None


def test_top_titles_needs_enough_ratings_and_breaks_ties_by_ratings(titles):
    top = eda.top_titles(titles, n=3, min_ratings=40)
    assert top["title"].tolist() == ["zeta", "alpha", "epsilon"]
    tied = titles.assign(score=3.0)
    assert eda.top_titles(tied, n=2, min_ratings=0)["title"].tolist() == ["zeta", "epsilon"]  # 300, 200 ratings
    assert eda.top_titles(titles, n=5, min_ratings=1000).empty


@pytest.mark.parametrize("name", ["titles_by_platform_type", "releases_per_year", "movie_minutes", "show_seasons",
                                  "maturity_mix", "top_genres", "top_countries", "score_distribution",
                                  "mean_scores", "top_titles"])
def test_every_chart_table_is_empty_but_well_formed_without_titles(titles, name):
    table = pd.DataFrame(getattr(eda, name)(titles.iloc[0:0]))
    assert table.empty and len(table.columns) >= 3


def test_movie_and_show_tables_are_empty_when_the_other_type_is_filtered(titles):
    assert eda.movie_minutes(titles[titles["type"] == "tv show"])["movies"] == []
    assert eda.show_seasons(titles[titles["type"] == "movie"])["shows"] == []


@pytest.mark.parametrize("order", ["as_built", "by_segment", "shuffled"])
def test_kept_segment_rows_match_kept_rows_in_any_row_order(user_segments, order):
    frame = {"as_built": user_segments, "by_segment": user_segments.sort_values(["platform", "type", "release_year"]),
             "shuffled": user_segments.sample(frac=1, random_state=3)}[order].reset_index(drop=True)
    for filters in (eda.Filters(), eda.Filters(("netflix",), "tv show", (2020, 2020)), eda.Filters(platforms=())):
        assert (eda.kept_segment_rows(frame, filters) == eda.kept_rows(frame, filters)).all()


def test_ratings_of_titles_without_a_year_count_until_a_year_range_is_set(user_segments):
    unknown = pd.DataFrame({"user_row": [4], "platform": ["amazon"], "type": ["movie"], "release_year": [pd.NA],
                            "n_ratings": [7]}).astype(user_segments.dtypes.to_dict())
    frame = pd.concat([user_segments, unknown], ignore_index=True)
    assert sorted(eda.user_totals(frame, eda.Filters()).tolist()) == [7, 60, 160, 180, 300]
    assert sorted(eda.user_totals(frame, eda.Filters(years=(1990, 2021))).tolist()) == [60, 160, 180, 300]
