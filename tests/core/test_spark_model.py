"""The Spark model's pieces that need no Spark: a group of users solved as the local model solves them, sums that
add up across groups, the blend weights from sums, MLlib's equivalent regularisation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import nnls

from core.ratings_model import RowBlocks, context_rows, implicit_context, prior_map, prior_sums, rated_means
from core.ratings_model import IndexedRatings
from core.spark_model import PassPlan, _solve_group, als_reg_param, blend_from_sums


@pytest.fixture(scope="module")
def ratings():
    """Random residuals of 300 users over 80 titles (~20 each, some users with none outside the validation
    slice), title features and factors."""
    rng = np.random.default_rng(5)
    user = np.repeat(np.arange(300), rng.integers(1, 40, 300)).astype(np.int32)
    item = rng.integers(0, 80, len(user)).astype(np.int32)
    residual = rng.normal(0, 0.8, len(user)).astype(np.float32)
    held = rng.random(len(user)) < 0.1
    features = np.hstack([rng.normal(size=(80, 6)), np.ones((80, 1))]).astype(np.float32)
    return user, item, residual, held, features, rng.normal(0, 0.3, (80, 4)).astype(np.float32)


def plan_for(features, item_factors, centre, mean_log, **flags) -> PassPlan:
    return PassPlan(features=features, item_factors=item_factors, centre=centre, mean_log=mean_log, taste_reg=5.0,
                    factor_reg=20.0, **{"taste_map": None, "factor_map": None, "taste_sums": False,
                                        "factor_sums": False, "final": False, **flags})


def test_a_group_of_users_is_solved_as_the_local_model_solves_them(ratings):
    user, item, residual, held, features, item_factors = ratings
    train = ~held
    n_users = 300
    blocks = RowBlocks(user[train], item[train], n_users, 80)
    data = IndexedRatings(user[train], item[train], residual[train], np.arange(n_users))
    means = rated_means(data, 80)
    context = implicit_context(means, features, blocks.counts)
    weights = np.maximum(blocks.counts, 1)
    centre = weights @ np.asarray(means @ features[:, :-1]) / weights.sum()
    mean_log = float(np.log(weights).mean())
    taste_map = prior_map(context, blocks.solve(features, residual[train], 5.0), blocks.counts)
    inputs = np.hstack([context, np.asarray(means @ item_factors)])
    mllib = np.random.default_rng(1).normal(size=(n_users, 4)).astype(np.float32)
    factor_map = prior_map(inputs, mllib, blocks.counts)
    rows = pd.DataFrame({"user": user, "item": item, "residual": residual, "held": held})
    factors = pd.DataFrame({"user": np.arange(n_users), "vec": list(mllib)})
    sums = _solve_group(rows, factors, plan_for(features, item_factors, centre, mean_log, taste_map=taste_map,
                                                taste_sums=True, factor_sums=True))
    taste = blocks.solve(features, residual[train], 5.0, context @ taste_map)
    by_part = dict(zip(sums["part"], sums["vec"]))
    np.testing.assert_allclose(by_part["taste_sums"], np.concatenate(
        [a.ravel() for a in prior_sums(context, taste, blocks.counts)]), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(by_part["factor_sums"], np.concatenate(
        [a.ravel() for a in prior_sums(inputs, mllib, blocks.counts)]), rtol=1e-4, atol=1e-3)

    final = _solve_group(rows, factors, plan_for(features, item_factors, centre, mean_log, taste_map=taste_map,
                                                 factor_map=factor_map, final=True))
    vectors = np.stack(final.loc[final["part"] == "user", "vec"].to_numpy())
    user_factors = blocks.solve(item_factors, residual[train], 20.0, inputs @ factor_map)
    np.testing.assert_allclose(vectors, np.hstack([taste, user_factors]), rtol=1e-4, atol=1e-5)


def test_groups_add_up_to_the_whole(ratings):
    """Context rows from the all-users centre are the joint fit's rows, so per-group sums add up to the joint
    prior sums (what the driver solves)."""
    user, item, residual, held, features, item_factors = ratings
    blocks = RowBlocks(user, item, 300, 80)
    data = IndexedRatings(user, item, residual, np.arange(300))
    means = rated_means(data, 80)
    joint = implicit_context(means, features, blocks.counts)
    weights = np.maximum(blocks.counts, 1)
    profile = np.asarray(means @ features[:, :-1])
    centre, mean_log = weights @ profile / weights.sum(), float(np.log(weights).mean())
    np.testing.assert_allclose(context_rows(profile, blocks.counts, centre, mean_log), joint, atol=1e-6)
    rows = pd.DataFrame({"user": user, "item": item, "residual": residual, "held": False})
    plan = plan_for(features, item_factors, centre, mean_log, taste_sums=True)
    groups = [_solve_group(rows[rows["user"] % 3 == g], rows.iloc[:0][["user"]].assign(vec=[]), plan)
              for g in range(3)]
    summed = sum(np.asarray(group["vec"].iloc[0]) for group in groups)
    taste = blocks.solve(features, residual, 5.0)
    expected = np.concatenate([a.ravel() for a in prior_sums(joint, taste, blocks.counts)])
    np.testing.assert_allclose(summed, expected, rtol=1e-4, atol=1e-3)


def test_blend_weights_from_sums_are_the_least_squares_weights():
    rng = np.random.default_rng(3)
    parts = rng.normal(size=(500, 2))
    for truth in ([0.8, 0.4], [0.0, 0.6], [-0.5, 0.3]):
        target = parts @ np.array(truth) + rng.normal(0, 0.1, 500)
        expected, _ = nnls(parts, target)
        np.testing.assert_allclose(blend_from_sums(parts.T @ parts, parts.T @ target, 500), expected, atol=1e-6)
    assert blend_from_sums(np.zeros((2, 2)), np.zeros(2), 1).tolist() == [0, 0]
    assert blend_from_sums(np.zeros((2, 2)), np.zeros(2), 500).tolist() == [0, 0]  # parts all zero


def test_mllib_regularisation_equivalent_to_a_constant_lambda():
    """λ over the geometric mean of the rating-weighted mean counts: users who all rated 100 titles and titles
    all rated 400 times give λ / 200."""
    assert als_reg_param(20.0, np.full(40, 100), np.full(10, 400)) == pytest.approx(0.1)
    heavy = als_reg_param(20.0, np.r_[np.full(39, 10), 3610], np.full(10, 400))  # one busy user: typical is high
    assert heavy < 0.1
