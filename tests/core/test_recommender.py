"""The hybrid recommender: hand-made fixture (genres, exclusions, cold start, bad ids), demo data, real data."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest

from core.errors import InvalidQuery, NotFound
from core.genres import map_labels
from core.ratings_model import (IndexedRatings, RatingParts, RowBlocks, fit_tastes, implicit_context, prior_map,
                                 rated_means)
from core.recommender import HybridRecommender, load_recommender, model_path, verdict

# Four genre groups; descriptions share words inside a group only.
GROUPS = {
    "crime, thriller": ("detective hunts a killer in the city", "gangster heist goes wrong", "cop chases a thief"),
    "comedy": ("roommates throw a wild party", "wedding planner fakes a romance", "slacker wins the lottery"),
    "kids, animation": ("talking puppy saves the forest", "little dragon learns to fly", "robot friend at school"),
    "documentary": ("the history of jazz music", "life of arctic whales", "inside a chocolate factory"),
}


def hand_titles() -> pd.DataFrame:
    """Twelve titles in four genre groups, in the processed titles format (indexed by id)."""
    rows = []
    for g, (genres, descriptions) in enumerate(GROUPS.items()):
        for n, description in enumerate(descriptions):
            rows.append({"id": f"ns{g * 3 + n + 1}", "platform": "netflix", "type": "movie",
                         "title": f"title {g}-{n}", "director": f"director {g}", "cast": f"actor {g}{n}, star {g}",
                         "country": "united states", "listed_in": genres, "description": description,
                         "release_year": 2000 + g, "rating": "pg", "duration_int": 90, "duration_type": "min"})
    frame = pd.DataFrame(rows)
    frame = frame.join(map_labels(frame["listed_in"]).columns)  # canonical genres and facets, as the ETL adds them
    frame["score"], frame["n_ratings"] = np.nan, 0
    return frame.set_index("id", drop=False).rename_axis(None)


def hand_ratings(titles: pd.DataFrame) -> pd.DataFrame:
    """Six users: each loves one genre group, dislikes another, in the processed ratings format."""
    ids = titles["id"].tolist()
    rows = []
    for user in range(1, 7):
        loved, disliked = (user - 1) % 4, user % 4
        for n in range(3):
            if n < 2 or user <= 4:  # users 5 and 6 leave one title of their loved group unrated
                rows.append((user, ids[loved * 3 + n], 4.5 + 0.5 * (n == 0)))
            rows.append((user, ids[disliked * 3 + n], 1.5))
    frame = pd.DataFrame(rows, columns=["user_id", "id", "rating"])
    return pd.DataFrame({"user_id": frame["user_id"].astype("int32"),
                         "id": pd.Categorical(frame["id"], categories=ids),
                         "rating": frame["rating"].astype("float32"),
                         "timestamp": np.arange(len(frame), dtype="int64") + 1_600_000_000,
                         "date": "2020-09-13"})


@pytest.fixture(scope="module")
def titles() -> pd.DataFrame:
    return hand_titles()


@pytest.fixture(scope="module")
def model(titles) -> HybridRecommender:
    return HybridRecommender(factors=4, genre_dims=8).fit(titles, hand_ratings(titles))


@pytest.fixture(scope="module")
def demo_model(demo_catalog) -> HybridRecommender:
    return HybridRecommender().fit(demo_catalog.titles, demo_catalog.ratings())


# ---------------------------------------------------------------------------------------------- hand-made fixture
def genres_of(titles: pd.DataFrame, title_id: str) -> set[str]:
    return set(titles.loc[title_id, "listed_in"].split(", "))


@pytest.mark.parametrize("title_id", ["ns1", "ns4", "ns8", "ns12"])
def test_similar_titles_share_the_genres(model, titles, title_id):
    similar = model.similar_titles(title_id, k=2)
    assert [r["id"] for r in similar] and title_id not in [r["id"] for r in similar]
    for record in similar:
        assert genres_of(titles, record["id"]) & genres_of(titles, title_id)
        assert 0 < record["similarity"] <= 1 and record["reason"].startswith("same genres")


def test_similar_titles_are_ordered_and_plain(model):
    similar = model.similar_titles("ns1", k=11)
    assert len(similar) == 11
    assert [r["similarity"] for r in similar] == sorted((r["similarity"] for r in similar), reverse=True)
    json.dumps(similar)


@pytest.mark.parametrize("user_id", range(1, 7))
def test_recommendations_are_never_rated_nor_the_chosen_title(model, titles, user_id):
    rated = set(hand_ratings(titles).query("user_id == @user_id")["id"].astype(str))
    for title_id in titles["id"]:
        recs = model.recommend(user_id, title_id, k=10)
        ids = [r["id"] for r in recs]
        assert not set(ids) & rated and title_id not in ids and len(ids) == len(set(ids))
        assert len(recs) == min(10, len(titles) - 1 - len(rated - {title_id}))


def test_recommendation_records(model):
    recs = model.recommend(5, "ns2", k=3)
    assert recs[0]["id"] == "ns3"  # the unrated title of the loved group, same genres as the chosen one
    for record in recs:
        assert {"id", "title", "platform", "score", "predicted_rating", "similarity", "reason"} <= set(record)
        assert 0.5 <= record["predicted_rating"] <= 5 and 0 <= record["score"] <= 1
        assert "predicted ★" in record["reason"]
    assert "same genres: crime, thriller" in recs[0]["reason"]
    json.dumps(recs)


def test_reasons_and_profiles_speak_the_canonical_genres(titles):
    """Platforms' own labels for one genre ('crime tv shows', 'crime') meet as one canonical genre."""
    relabelled = titles.copy()
    relabelled.loc[["ns1", "ns2"], "listed_in"] = ["crime tv shows, thrillers", "tv thrillers, crime"]
    relabelled = relabelled.drop(columns=["genres"]).join(map_labels(relabelled["listed_in"]).columns[["genres"]])
    model = HybridRecommender(factors=4, genre_dims=8).fit(relabelled, hand_ratings(relabelled))
    assert model.shared_text(model.row_of["ns1"], model.row_of["ns2"]).startswith("same genres: crime, thriller ·")
    assert dict(model.user_profile(1)["favourite_genres"]).keys() <= set(relabelled["genres"].str.split(", ").sum())


def test_predictions_follow_the_tastes(model):
    loved, disliked = model.predict(5, "ns3"), model.predict(5, "ns6")  # user 5: loves crime, dislikes comedy
    assert loved - disliked > 1.0 and loved > model.predict(6, "ns3")


@pytest.mark.parametrize("predicted, text", [(4.6, "you'll probably love it"), (4.0, "you'll probably love it"),
                                             (3.5, "worth a try"), (2.9, "probably not for you")])
def test_verdict(model, predicted, text):
    assert verdict(predicted) == model.verdict(predicted) == text


def test_fit_is_deterministic(titles):
    first = HybridRecommender(factors=4, genre_dims=8).fit(titles, hand_ratings(titles))
    second = HybridRecommender(factors=4, genre_dims=8).fit(titles, hand_ratings(titles))
    for user in range(1, 8):
        assert [first.predict(user, t) for t in titles["id"]] == [second.predict(user, t) for t in titles["id"]]
        assert first.recommend(user, "ns1", 5) == second.recommend(user, "ns1", 5)


def test_new_user_gets_content_and_popularity(model, titles):
    assert not model.has_user(99) and model.has_user(1)
    assert 0.5 <= model.predict(99, "ns1") <= 5
    recs = model.recommend(99, "ns1", k=11)
    assert len(recs) == 11 and "ns1" not in {r["id"] for r in recs}
    assert [r["score"] for r in recs] == sorted((r["score"] for r in recs), reverse=True)
    assert all("new user" in r["reason"] for r in recs)
    similar_only = HybridRecommender(factors=4, genre_dims=8, new_user_similarity_weight=1.0)
    similar_only.fit(titles, hand_ratings(titles))
    assert {r["id"] for r in similar_only.recommend(99, "ns1", k=2)} == {"ns2", "ns3"}
    profile = model.user_profile(99)
    assert profile["known"] is False and profile["n_ratings"] == 0 and profile["favourite_genres"] == []


def test_user_profile(model):
    profile = model.user_profile(1)
    assert profile["n_ratings"] == 6 and profile["known"]
    assert profile["favourite_genres"][0] in (("crime", 1.0), ("thriller", 1.0))
    assert profile["rating_distribution"] == {1.5: 3, 4.5: 2, 5.0: 1}
    assert abs(profile["mean_rating"] - 3.0833) < 1e-3
    json.dumps(profile)
    assert model.known_user_ids() == [1, 2, 3, 4, 5, 6]


def test_unknown_title_is_not_found(model):
    with pytest.raises(NotFound, match="unknown title id 'zz9'"):
        model.predict(1, "zz9")
    with pytest.raises(NotFound):
        model.recommend(1, "zz9")
    with pytest.raises(NotFound):
        model.similar_titles("zz9")


@pytest.mark.parametrize("user_id", ["abc", -1, 0, True, 2.5, None, [], {}, "²", "٣", "9" * 5000, 2**31,
                                     pytest.param(10**5000, id="huge"), float("nan"), float("inf"), "1e3", " -3 "])
def test_bad_user_ids_are_invalid(model, user_id):
    with pytest.raises(InvalidQuery, match="user id"):
        model.predict(user_id, "ns1")
    with pytest.raises(InvalidQuery):
        model.recommend(user_id, "ns1")


@pytest.mark.parametrize("title_id", [None, 3, "", ["ns1"]])
def test_bad_title_ids_are_invalid(model, title_id):
    with pytest.raises(InvalidQuery, match="title id"):
        model.similar_titles(title_id)


@pytest.mark.parametrize("k", [0, -1, 101, 2.5, "10", None, True, pytest.param(10**5000, id="huge"), float("nan")])
def test_bad_k_is_invalid(model, k):
    with pytest.raises(InvalidQuery, match="k must be"):
        model.recommend(1, "ns1", k=k)


def test_integer_like_user_ids_are_accepted(model):
    assert model.predict(np.int64(5), "ns3") == model.predict("5", "ns3") == model.predict(5.0, "ns3")


def test_unfitted_model_says_so():
    with pytest.raises(InvalidQuery, match="not fitted"):
        HybridRecommender().predict(1, "ns1")


def test_ratings_of_unknown_titles_are_ignored(titles):
    ratings = hand_ratings(titles)
    extra = pd.DataFrame({"user_id": [1], "id": ["xx1"], "rating": [5.0]})
    mixed = pd.concat([ratings.astype({"id": str}), extra], ignore_index=True)
    model = HybridRecommender(factors=4, genre_dims=8).fit(titles, mixed)
    assert model.user_profile(1)["n_ratings"] == 6


def test_save_and_load_give_the_same_answers(model, titles, tmp_path):
    path = model.save(tmp_path / "model.npz")
    loaded = HybridRecommender.load(path, titles)
    assert loaded.params == model.params
    assert loaded.recommend(5, "ns2", 5) == model.recommend(5, "ns2", 5)
    assert loaded.similar_titles("ns7", 3) == model.similar_titles("ns7", 3)
    assert loaded.user_profile(2) == model.user_profile(2)
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]  # no temp file left behind


def test_load_refuses_other_titles(model, titles, tmp_path):
    path = model.save(tmp_path / "model.npz")
    with pytest.raises(ValueError, match="other titles"):
        HybridRecommender.load(path, titles.iloc[:5])


# ---------------------------------------------------------------------------------------------- demo data
def test_demo_fit_on_a_subset_of_ratings(demo_catalog):
    ratings = demo_catalog.ratings()
    subset = ratings[ratings["user_id"] % 2 == 0]
    model = HybridRecommender(iterations=2).fit(demo_catalog.titles, subset)
    assert set(model.known_user_ids()) == set(subset["user_id"].unique().tolist())
    odd_user = int(ratings.loc[ratings["user_id"] % 2 == 1, "user_id"].iloc[0])
    assert not model.has_user(odd_user)


def test_demo_recommendations_exclude_rated_titles(demo_model, demo_catalog):
    ratings = demo_catalog.ratings(["user_id", "id"])
    popular = demo_catalog.titles.sort_values("n_ratings", ascending=False)["id"].head(5).tolist()
    for user_id in demo_catalog.users.sort_values("n_ratings")["user_id"].iloc[::400].tolist():
        rated = set(ratings.loc[ratings["user_id"] == user_id, "id"].astype(str))
        for title_id in popular:
            recs = demo_model.recommend(user_id, title_id, k=30)
            assert len(recs) == 30 and not {r["id"] for r in recs} & rated


def test_demo_predictions_beat_the_title_mean(demo_model, demo_catalog):
    ratings = demo_catalog.ratings().sample(2_000, random_state=0)
    predicted = np.array([demo_model.predict(u, t) for u, t in zip(ratings["user_id"], ratings["id"].astype(str))])
    means = demo_catalog.titles.loc[ratings["id"].astype(str), "score"].to_numpy()
    actual = ratings["rating"].to_numpy()
    assert np.sqrt(np.mean((predicted - actual) ** 2)) < np.sqrt(np.mean((means - actual) ** 2))


def test_load_recommender_saves_then_reloads(demo_catalog):
    from core.demo import ensure_demo_raw

    model = load_recommender(ensure_demo_raw())
    assert model is load_recommender(ensure_demo_raw())  # memoised per process
    path = model_path(demo_catalog.version_dir)
    assert path.is_file()
    started = time.perf_counter()
    loaded = HybridRecommender.load(path, demo_catalog.titles)
    assert time.perf_counter() - started < 2
    user = int(demo_catalog.users["user_id"].iloc[0])
    title = str(demo_catalog.titles["id"].iloc[0])
    assert loaded.predict(user, title) == model.predict(user, title)


# ---------------------------------------------------------------------------------------------- learned blend
def test_blend_weights_follow_what_predicts_held_out_ratings():
    rng = np.random.default_rng(0)
    n_users, n_items, dims = 300, 40, 3
    features = rng.normal(size=(n_items, dims)).astype(np.float32)
    taste = rng.normal(size=(n_users, dims)).astype(np.float32)
    user, item = rng.integers(0, n_users, 20_000).astype(np.int32), rng.integers(0, n_items, 20_000).astype(np.int32)
    value = (3 + np.einsum("nk,nk->n", taste[user], features[item]) + rng.normal(0, 0.1, len(user))).astype(np.float32)
    held_out = IndexedRatings(user, item, value, np.arange(n_users))
    noise_factors = rng.normal(size=(n_users, 2)).astype(np.float32), rng.normal(size=(n_items, 2)).astype(np.float32)
    parts = RatingParts(3.0, np.zeros(n_users, np.float32), np.zeros(n_items, np.float32), taste, None,
                        *noise_factors, None, None)
    useful, useless = parts.blend_weights(held_out, features)
    assert abs(useful - 1) < 0.02 and useless < 0.02  # the part that predicts gets its weight; noise gets none
    assert parts.blend_weights(IndexedRatings(user[:1], item[:1], value[:1], np.arange(n_users)), features).tolist() \
        == [0.0, 0.0]


# ---------------------------------------------------------------------------------------------- implicit priors
def chosen_by_taste(seed: int = 0, n_users: int = 400, n_items: int = 60, per_user: int = 12):
    """Ratings where users pick the titles they like (choice reveals taste) and rate them taste . features."""
    rng = np.random.default_rng(seed)
    features = np.hstack([rng.normal(size=(n_items, 3)), np.ones((n_items, 1))]).astype(np.float32)
    taste = np.hstack([rng.normal(size=(n_users, 3)), np.zeros((n_users, 1))]).astype(np.float32)
    appeal = np.exp(2 * taste @ features.T)
    picks = [rng.choice(n_items, per_user, replace=False, p=row / row.sum()) for row in appeal]
    user = np.repeat(np.arange(n_users), per_user).astype(np.int32)
    item = np.concatenate(picks).astype(np.int32)
    value = (np.einsum("nk,nk->n", taste[user], features[item]) + rng.normal(0, 1.0, len(user))).astype(np.float32)
    return IndexedRatings(user, item, value, np.arange(n_users)), features, taste


def test_implicit_context_is_centred_mean_features_activity_and_one():
    data, features, _ = chosen_by_taste()
    means = rated_means(data, len(features))
    counts = np.bincount(data.user)
    context = implicit_context(means, features, counts)
    assert context.shape == (len(counts), features.shape[1] - 1 + 2)
    first = features[data.item[data.user == 0], :-1].mean(axis=0)
    centre = features[data.item, :-1].mean(axis=0)  # every user rated as many titles: the plain mean
    np.testing.assert_allclose(context[0, :-2], first - centre, atol=1e-5)
    np.testing.assert_allclose(context[:, -2], 0, atol=1e-6)  # same activity everywhere: centred to zero
    assert (context[:, -1] == 1).all()


def test_prior_map_recovers_a_linear_map_and_weights_busy_users():
    rng = np.random.default_rng(1)
    context = np.hstack([rng.normal(size=(500, 4)), np.ones((500, 1))]).astype(np.float32)
    truth = rng.normal(size=(5, 3)).astype(np.float32)
    targets = context @ truth
    np.testing.assert_allclose(prior_map(context, targets, np.full(500, 50)), truth, atol=0.01)
    targets[:250] += 10  # badly estimated vectors of users with one rating barely move the map
    counts = np.r_[np.ones(250), np.full(250, 1000)]
    assert np.abs(prior_map(context, targets, counts) - truth).max() < 0.1


def test_tastes_shrunk_towards_what_users_chose_are_closer_to_the_truth():
    data, features, truth = chosen_by_taste()
    residual = data.value
    users = RowBlocks(data.user, data.item, len(data.user_ids), len(features))
    context = implicit_context(rated_means(data, len(features)), features, users.counts)
    steps = []
    plain, _ = fit_tastes(users, features, residual, context, 3.0, 0, None, lambda: steps.append(1))
    shrunk, taste_map = fit_tastes(users, features, residual, context, 3.0, 2, None, lambda: steps.append(1))
    assert len(steps) == 1 + 3  # one solve, then one per relearned prior
    error = lambda taste: float(np.mean((taste[:, :3] - truth[:, :3]) ** 2))
    assert error(shrunk) < 0.85 * error(plain)
    assert taste_map.shape == (context.shape[1], features.shape[1])
    again, _ = fit_tastes(users, features, residual, context, 3.0, 0, (shrunk, taste_map), lambda: None)
    assert error(again) < 0.85 * error(plain)  # a refit reuses the learned prior in its single solve



def ridge_problem(seed: int = 1) -> tuple[RowBlocks, np.ndarray, np.ndarray, np.ndarray]:
    """Row blocks of 300 users over 80 titles (uneven counts), title factors, residuals and priors."""
    rng = np.random.default_rng(seed)
    user = (rng.pareto(1.5, 6000) * 20).astype(np.int32) % 300
    item = rng.integers(0, 80, 6000).astype(np.int32)
    factors = rng.normal(size=(80, 8)).astype(np.float32)
    residual = rng.normal(size=6000).astype(np.float32)
    return RowBlocks(user, item, 300, 80), factors, residual, rng.normal(size=(300, 8)).astype(np.float32)


def test_conjugate_gradient_solves_reach_the_closed_form():
    users, factors, residual, prior = ridge_problem()
    exact = users.solve(factors, residual, 5.0, prior)
    start = np.zeros_like(exact)
    for steps, tolerance in ((8, 1e-3), (20, 1e-4)):  # 8 dims: CG is exact in 8 steps up to rounding
        solved = users.solve(factors, residual, 5.0, prior, start, steps)
        np.testing.assert_allclose(solved, exact, atol=tolerance)
    errors = [np.abs(users.solve(factors, residual, 5.0, prior, start, steps) - exact).max() for steps in (1, 2, 3)]
    assert errors[0] > errors[1] > errors[2]  # each step gets closer
    near = exact + np.float32(0.01) * np.random.default_rng(2).normal(size=exact.shape).astype(np.float32)
    assert np.abs(users.solve(factors, residual, 5.0, prior, near, 3) - exact).max() < 0.01  # warm starts pay
    np.testing.assert_allclose(users.solve(factors, residual, 5.0, prior, exact, 3), exact, atol=1e-5)


def test_blocks_solve_each_residual_they_are_given():
    users, factors, residual, prior = ridge_problem()
    users.solve(factors, residual, 5.0, prior)  # gathers this residual into the blocks
    other = np.random.default_rng(3).normal(size=residual.shape).astype(np.float32)
    fresh = ridge_problem()[0]
    np.testing.assert_array_equal(users.solve(factors, other, 5.0, prior), fresh.solve(factors, other, 5.0, prior))
    np.testing.assert_array_equal(users.solve(factors, residual, 5.0), fresh.solve(factors, residual, 5.0))


def test_conjugate_gradient_gives_users_without_ratings_their_prior():
    users = RowBlocks(np.array([0, 0, 2], np.int32), np.array([0, 1, 1], np.int32), 3, 2)
    factors, residual, prior = np.eye(2, dtype=np.float32), np.ones(3, np.float32), np.full((3, 2), 0.5, np.float32)
    solved = users.solve(factors, residual, 1.0, prior, np.full((3, 2), 7, np.float32), 3)
    np.testing.assert_allclose(solved, users.solve(factors, residual, 1.0, prior), atol=1e-5)
    np.testing.assert_allclose(solved[1], 0.5)  # user 1 rated nothing: the prior, as in the closed form


def null_signal_catalog(tmp_path_factory):
    """The demo catalogues with ratings that are user bias + noise only (nothing about titles to learn)."""
    from core.catalog import processed_catalog
    from core.demo import generate_demo_raw

    raw = generate_demo_raw(tmp_path_factory.mktemp("null") / "raw", signal=False)
    return processed_catalog(raw, "null-signal demo")


def hold_out_errors(catalog) -> dict[str, dict]:
    """Hold-out RMSE/MAE of the baselines and the hybrid (core.evaluate's split) on a catalog."""
    from core.evaluate import rating_metrics, split_ratings

    train, test = split_ratings(catalog.ratings(["user_id", "id", "rating"]))
    return rating_metrics(HybridRecommender().fit(catalog.titles, train), train, test)


def test_no_worse_than_biases_when_titles_carry_no_signal(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("STREAMING_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    errors = hold_out_errors(null_signal_catalog(tmp_path_factory))
    assert abs(errors["hybrid"]["rmse"] - errors["biases"]["rmse"]) <= 0.002, errors


def test_with_structure_the_hybrid_keeps_its_lead(demo_catalog):
    errors = hold_out_errors(demo_catalog)
    assert errors["hybrid"]["rmse"] < errors["ratings"]["rmse"] - 0.01 < errors["biases"]["rmse"] - 0.02, errors


# ---------------------------------------------------------------------------------------------- real data
@pytest.mark.real_data
def test_real_recommender(real_raw_dir, real_catalog):
    model = load_recommender(real_raw_dir)
    assert len(model.known_user_ids()) == len(real_catalog.users)
    heavy = int(real_catalog.users.sort_values("n_ratings")["user_id"].iloc[-1])
    title = str(real_catalog.titles.sort_values("n_ratings")["id"].iloc[-1])
    rated = set(real_catalog.ratings(["user_id", "id"]).query("user_id == @heavy")["id"].astype(str))
    recs = model.recommend(heavy, title, k=30)
    assert len(recs) == 30 and not {r["id"] for r in recs} & rated
    genres = set(real_catalog.titles.loc[title, "listed_in"].split(", "))
    similar = model.similar_titles(title, k=10)
    assert sum(bool(set(real_catalog.titles.loc[r["id"], "listed_in"].split(", ")) & genres) for r in similar) >= 8
    assert 0.5 <= model.predict(heavy, title) <= 5
    assert model.user_profile(heavy)["n_ratings"] == len(rated)
