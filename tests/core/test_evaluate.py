"""The evaluation: the fixed split, the ranking metrics on hand-made cases, and an end-to-end run on the demo data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core import evaluate as ev


def test_holdout_is_fixed_and_ten_percent():
    first, second = ev.holdout_mask(10_001), ev.holdout_mask(10_001)
    assert first.sum() == 1_000 and np.array_equal(first, second)
    assert not np.array_equal(first, ev.holdout_mask(10_001, seed=1))


def test_split_keeps_every_rating_once():
    ratings = pd.DataFrame({"user_id": np.arange(100), "id": ["ns1"] * 100, "rating": np.ones(100)})
    train, test = ev.split_ratings(ratings)
    assert len(test) == 10 and sorted(train["user_id"].tolist() + test["user_id"].tolist()) == list(range(100))


def test_top_rows_skips_excluded_and_orders():
    scores = np.array([[0.1, 0.9, 0.5, 0.7, 0.3]])
    excluded = np.array([[False, True, False, False, False]])
    assert ev.top_rows(scores, excluded, k=3).tolist() == [[3, 2, 4]]


def test_ranking_sums_by_hand():
    relevant = np.array([[True, False, False, True, False], [False, False, False, False, True]])
    top = np.array([[0, 1], [2, 3]])  # user 0: one hit at rank 1 of 2 relevant; user 1: no hit
    precision, recall, ndcg = ev.ranking_sums(top, relevant)
    assert precision == pytest.approx(0.5) and recall == pytest.approx(0.5)
    assert ndcg == pytest.approx(1 / (1 + 1 / np.log2(3)))


def test_weight_grid_is_a_simplex():
    grid = ev.weight_grid(0.25)
    assert len(grid) == 15 and all(abs(sum(w.values()) - 1) < 1e-9 for w in grid)  # 3 parts, steps of 1/4
    assert all(min(w.values()) >= 0 for w in grid)


@pytest.fixture(scope="module")
def demo_results(demo_catalog):
    return ev.evaluate(demo_catalog.titles, demo_catalog.ratings(), n_users=300)


def test_evaluation_on_the_demo_data(demo_results):
    assert set(demo_results["rating"]) == set(ev.RATING_MODELS)
    assert set(demo_results["ranking"]) == set(ev.RANKING_MODELS)
    rating = demo_results["rating"]
    for row in rating.values():
        assert 0 < row["mae"] <= row["rmse"] < 2
    assert rating["hybrid"]["rmse"] < rating["biases"]["rmse"] < rating["global_mean"]["rmse"]
    for row in demo_results["ranking"].values():
        assert set(row) == {"precision@10", "recall@10", "ndcg@10", "coverage@10"}
        assert all(0 <= value <= 1 for value in row.values())
    assert demo_results["setup"]["ranked_users"] == 300


def test_evaluation_is_deterministic(demo_catalog, demo_results):
    assert ev.evaluate(demo_catalog.titles, demo_catalog.ratings(), n_users=300)["ranking"] == demo_results["ranking"]


def test_markdown_table(demo_results):
    text = ev.markdown(demo_results)
    assert "| hybrid |" in text and "NDCG@10" in text and text.count("\n|") >= 12


def test_command_line_writes_json(demo_catalog, tmp_path, capsys):
    from core.demo import ensure_demo_raw

    out = tmp_path / "evaluation.json"
    assert ev.main(["--data-dir", str(ensure_demo_raw()), "--out", str(out), "--users", "200"]) == 0
    figures = json.loads(out.read_text())
    assert set(figures["rating"]["hybrid"]) == {"rmse", "mae"}
    assert set(figures["ranking"]["hybrid"]) == {"precision@10", "recall@10", "ndcg@10", "coverage@10"}
    assert "| rating model |" in capsys.readouterr().out
    markdown_out = tmp_path / "evaluation.md"
    assert ev.main(["--data-dir", str(ensure_demo_raw()), "--out", str(markdown_out), "--users", "200"]) == 0
    assert markdown_out.read_text().count("| hybrid |") == 2


def test_tune_on_the_demo_data(demo_catalog):
    train, _ = ev.split_ratings(demo_catalog.ratings())
    tuned = ev.tune(demo_catalog.titles, train, n_users=200)
    weights = [tuned[f"{n}_weight"] for n in ("rating", "profile", "popularity")]
    assert abs(sum(weights) - 1) < 1e-6 and "similarity_weight" not in tuned  # similarity only picks candidates
    assert all(w > 0 for w in tuned["learned_blend_weights"])  # the demo ratings depend on taste and on factors
    assert 0 < tuned["validation_rmse"] < 1.2 and 0 <= tuned["new_user_similarity_weight"] <= 1
