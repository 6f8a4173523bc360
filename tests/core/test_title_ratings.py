"""Ratings per title (core.title_ratings): against direct pandas sums of the ratings, saved copy, bad copies."""

from __future__ import annotations

import logging
import shutil

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core import eda, title_ratings
from core.catalog import read_catalog


@pytest.fixture(scope="module")
def demo(demo_catalog):
    """The demo catalogue, its ratings (with title rows and months) and its TitleRatings."""
    ratings = demo_catalog.ratings(["user_id", "id", "rating", "timestamp", "date"])
    ratings["row"] = pd.Index(demo_catalog.titles["id"]).get_indexer(ratings["id"].astype(str))
    ratings["month"] = ratings["date"].str[:7]
    return demo_catalog, ratings, title_ratings.for_catalog(demo_catalog)


def direct_totals(ratings: pd.DataFrame, kept: np.ndarray) -> list[int]:
    """Per user (by user id), how many kept titles they rated; users with none left out."""
    per_user = ratings[kept[ratings["row"].to_numpy()]].groupby("user_id").size()
    return per_user.sort_index().tolist()


def test_user_totals_of_any_set_of_titles_match_the_ratings(demo):
    catalog, ratings, index = demo
    rng = np.random.default_rng(7)
    for share in (0.0, 0.05, 0.5, 1.0):
        kept = rng.random(len(catalog.titles)) < share
        assert index.user_totals(kept).tolist() == direct_totals(ratings, kept), share


def test_monthly_and_star_counts_match_the_ratings(demo):
    catalog, ratings, index = demo
    assert list(index.months) == sorted(ratings["month"].unique())
    cells = ratings.groupby(["row", "month"])["rating"].agg(["size", "sum"])
    month = {m: i for i, m in enumerate(index.months)}
    for (row, text), (size, total) in cells.sample(200, random_state=1).iterrows():
        assert index.monthly_count[row, month[text]] == size
        assert index.monthly_sum[row, month[text]] == pytest.approx(total, rel=1e-5)
    assert index.monthly_count.sum() == len(ratings)
    stars = ratings.groupby(["row", (ratings["rating"] * 2).round().astype(int)]).size()
    for (row, half), count in stars.sample(200, random_state=2).items():
        assert index.stars[row, half - 1] == count
    assert (index.stars.sum(axis=1) == catalog.titles["n_ratings"].to_numpy()).all()


@pytest.mark.parametrize("filters", [eda.Filters(), eda.Filters(("hulu", "netflix"), "movie", (1990, 2015)),
                                     eda.Filters(("disney",), "tv show")])
def test_per_title_sums_agree_with_the_per_segment_sums(demo, filters):
    catalog, _, index = demo
    selection = eda.select(catalog.titles, filters)
    assert index.user_totals(selection.mask).tolist() == eda.user_totals(catalog.user_segments, filters).tolist()
    by_title, by_segment = eda.title_rating_activity(selection, index), eda.rating_activity(catalog.activity, filters)
    assert {k: v for k, v in by_title.items() if k != "mean_rating"} == \
        {k: v for k, v in by_segment.items() if k != "mean_rating"}
    assert np.allclose(by_title["mean_rating"], by_segment["mean_rating"], rtol=1e-5)


def test_a_genre_filter_counts_the_ratings_of_the_titles_of_those_genres(demo):
    catalog, ratings, index = demo
    known = eda.genre_names(catalog.titles)
    filters = eda.Filters(("amazon", "netflix"), genres=known[:2])
    selection = eda.select(catalog.titles, filters)
    expected = catalog.titles["genres"].fillna("").str.split(", ").map(lambda g: bool(set(g) & set(known[:2])))
    expected &= catalog.titles["platform"].isin(["amazon", "netflix"])
    assert (selection.mask == expected.to_numpy()).all() and 0 < selection.mask.sum() < len(catalog.titles)
    counts = eda.kept_user_totals(selection, filters, catalog.user_segments, index)
    table = eda.kept_rating_activity(selection, filters, catalog.activity, index)
    assert counts.tolist() == direct_totals(ratings, selection.mask)
    kept = ratings[selection.mask[ratings["row"].to_numpy()]]
    kept = kept.assign(platform=catalog.titles["platform"].to_numpy()[kept["row"].to_numpy()])
    direct = kept.groupby(["month", "platform"]).size()
    assert list(zip(table["month"], table["platform"], table["ratings"])) == \
        [(m, p, n) for (m, p), n in direct.items()]


def test_the_index_is_saved_beside_the_data_and_loaded_again(demo, tmp_path, caplog):
    catalog, _, index = demo
    copy = tmp_path / "version"
    shutil.copytree(catalog.version_dir, copy, ignore=shutil.ignore_patterns("model-*", "*.lock"))
    (copy / title_ratings.FILE_NAME).unlink(missing_ok=True)
    other = read_catalog(copy, "demo", [])
    built = title_ratings.for_catalog(other)
    assert (copy / title_ratings.FILE_NAME).is_file()
    loaded = title_ratings.load(copy / title_ratings.FILE_NAME, len(other.titles), len(other.users))
    assert (loaded.by_user != built.by_user).nnz == 0 and (loaded.stars == index.stars).all()
    assert not built.stars.flags.writeable
    # a damaged copy is logged and rebuilt, a copy of other data is not used
    (copy / title_ratings.FILE_NAME).write_bytes(b"PK\x03\x04 not a zip")
    with caplog.at_level(logging.WARNING):
        assert title_ratings.load(copy / title_ratings.FILE_NAME, len(other.titles), len(other.users)) is None
    assert "unreadable" in caplog.text
    title_ratings.save(built, copy / title_ratings.FILE_NAME)
    assert title_ratings.load(copy / title_ratings.FILE_NAME, len(other.titles) + 1, len(other.users)) is None


def test_an_unwritable_folder_only_costs_a_rebuild(demo, tmp_path, monkeypatch, caplog):
    catalog, _, index = demo
    copy = tmp_path / "version"
    shutil.copytree(catalog.version_dir, copy, ignore=shutil.ignore_patterns("model-*", "*.lock", "title-*"))

    def refuse(*_args):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(title_ratings, "save", refuse)
    with caplog.at_level(logging.WARNING):
        built = title_ratings.for_catalog(read_catalog(copy, "demo", []))
    assert "could not save" in caplog.text and (built.stars == index.stars).all()


def test_ratings_as_plain_text_ids_in_any_order_give_the_same_index(demo, tmp_path):
    catalog, ratings, index = demo
    shuffled = ratings.sample(frac=1.0, random_state=3)
    table = pa.table({"user_id": pa.array(shuffled["user_id"].to_numpy(), pa.int32()),
                      "id": pa.array(shuffled["id"].astype(str).tolist(), pa.string()),
                      "rating": pa.array(shuffled["rating"].to_numpy(), pa.float32()),
                      "timestamp": pa.array(shuffled["timestamp"].to_numpy(), pa.int64())})
    pq.write_table(table, tmp_path / "ratings.parquet", row_group_size=5_000)
    again = title_ratings.build(tmp_path / "ratings.parquet", pd.Index(catalog.titles["id"]),
                                catalog.users["n_ratings"].to_numpy(), index.months)
    kept = np.arange(len(catalog.titles)) % 3 == 0
    assert again.user_totals(kept).tolist() == index.user_totals(kept).tolist()
    assert (again.stars == index.stars).all() and np.allclose(again.monthly_sum, index.monthly_sum)


@pytest.mark.real_data
def test_real_data_per_title_sums_agree_with_the_per_segment_sums(real_catalog):
    index = title_ratings.for_catalog(real_catalog)
    assert index.by_user.nnz == 11_013_823 and index.stars.sum() == 11_013_823
    for filters in (eda.Filters(), eda.Filters(("netflix", "hulu"), "movie", (2000, 2015)),
                    eda.Filters(years=(2019, 2021))):
        selection = eda.select(real_catalog.titles, filters)
        assert (index.user_totals(selection.mask) == eda.user_totals(real_catalog.user_segments, filters)).all()
        assert eda.title_rating_activity(selection, index)["ratings"] == \
            eda.rating_activity(real_catalog.activity, filters)["ratings"]
