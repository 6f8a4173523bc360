"""The canonical genre vocabulary: the mapping file, folding rules, facets, coverage of every raw label."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from core import demo, etl, genres
from core.config import TITLE_FILES
from core.errors import DataError, InvalidQuery
from core.genres import map_labels, vocabulary
from tests.core.test_etl import TITLES, write_raw


def one(label: str) -> dict[str, str | None]:
    """The canonical columns of a title listed under these labels."""
    row = map_labels(pd.Series([label])).columns.iloc[0]
    return {column: (None if pd.isna(value) else value) for column, value in row.items()}


def raw_labels(titles_dir: Path) -> set[str]:
    """Every listed_in label of the four raw catalogues, as the ETL writes them (lower case, tidy spacing)."""
    found = set()
    for platform, name in TITLE_FILES.items():
        report = etl.QualityReport()
        frame = etl.clean_text(etl.read_title_file(titles_dir / name), platform, report)
        listed_in = etl.keep_genres_whole(frame["listed_in"], platform, report)
        found.update(label for value in listed_in.dropna() for label in genres.split_labels(value))
    return found


def test_the_file_reads_and_every_name_has_one_spelling():
    vocab = vocabulary()
    assert len(vocab.labels) == 118
    assert set(vocab.names("genres")) >= {"drama", "comedy", "documentary", "action & adventure", "sci-fi & fantasy"}
    for column in genres.FACETS:
        assert vocab.names(column), column
    # every display name lower-cases to its key, and no name is both a genre and a facet value
    assert all(display.lower() == key for key, display in vocab.display.items())
    facet_values = {name for column in genres.FACETS for name in vocab.names(column)}
    assert not facet_values & set(vocab.names("genres"))


@pytest.mark.parametrize("labels, genre", [
    (["drama", "dramas", "tv dramas"], "drama"),
    (["comedy", "comedies", "tv comedies"], "comedy"),
    (["documentary", "documentaries", "docuseries"], "documentary"),
    (["action & adventure", "action-adventure", "tv action & adventure", "action", "adventure"], "action & adventure"),
    (["faith & spirituality", "faith and spirituality"], "faith & spirituality"),
    (["science fiction", "fantasy", "sci-fi & fantasy", "tv sci-fi & fantasy"], "sci-fi & fantasy"),
    (["thriller", "thrillers", "tv thrillers", "suspense"], "thriller"),
    (["horror", "horror movies", "tv horror"], "horror"),
    (["romance", "romantic movies", "romantic tv shows"], "romance"),
])
def test_variants_fold_into_one_genre(labels, genre):
    assert {one(label)["genres"] for label in labels} == {genre}


def test_labels_that_are_not_genres_become_facets():
    assert one("international movies") == {**one("movies"), "origin": "international"}
    assert one("british tv shows")["origin"] == "british" and one("british tv shows")["genres"] is None
    assert one("kids")["audience"] == one("children & family movies")["audience"] == "kids & family"
    assert one("stand-up comedy")["format"] == "stand-up" and one("stand-up comedy")["genres"] == "comedy"
    assert one("anime")["format"] == "anime" and one("anime series")["genres"] == "animation"
    assert one("docuseries")["format"] == "docuseries"
    assert one("lgbtq movies")["community"] == one("lgbtq+")["community"] == "lgbtq+"
    assert one("classic & cult tv")["collection"] == "classic, cult"
    assert all(value is None for value in one("tv shows").values())


def test_a_title_gets_every_genre_and_facet_of_its_labels_once():
    mapped = map_labels(pd.Series(["dramas, international movies, romantic movies, tv dramas", None, ""]))
    first = mapped.columns.iloc[0]
    assert first["genres"] == "drama, romance" and first["origin"] == "international"
    assert mapped.columns.iloc[1:].isna().all().all()
    assert mapped.mapped == {"dramas": 1, "international movies": 1, "romantic movies": 1, "tv dramas": 1}
    assert not mapped.unmapped


def test_an_unknown_label_is_kept_as_its_own_genre_and_counted():
    mapped = map_labels(pd.Series(["drama, space westerns", "space westerns"]))
    assert mapped.columns["genres"].tolist() == ["drama, space westerns", "space westerns"]
    assert mapped.unmapped == {"space westerns": 2}


def test_display_names_slugs_and_parsing():
    assert genres.display_name("sci-fi & fantasy") == "Sci-Fi & Fantasy"
    assert genres.display_name("lgbtq+") == "LGBTQ+" and genres.display_name("space westerns") == "Space Westerns"
    assert genres.slug("action & adventure") == "action-adventure"
    known = vocabulary().names("genres")
    assert genres.parse_genre("Action-Adventure", known) == genres.parse_genre("ACTION & adventure", known)
    for bad in ("dramas", "x" * 500, ""):
        with pytest.raises(InvalidQuery):
            genres.parse_genre(bad, known)


@pytest.mark.parametrize("text, problem", [
    ("name,genres\nx,Drama\n", "expected the columns"),
    ("label,genres,origin,audience,format,community,collection,note\nDrama,Drama,,,,,,\n", "lower-case"),
    ("label,genres,origin,audience,format,community,collection,note\nx,Drama,,,,,,\nx,Drama,,,,,,\n", "unique"),
    ("label,genres,origin,audience,format,community,collection,note\nx,Drama,,,,,,\ny,DRAMA,,,,,,\n", "spelt"),
    ("label,genres,origin,audience,format,community,collection,note\n", "expected the columns"),
])
def test_a_malformed_mapping_file_is_refused_with_the_problem(tmp_path, text, problem):
    path = tmp_path / "genres.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=problem):
        genres.read_vocabulary(path)


def test_the_etl_adds_genres_and_facets_and_reports_unmapped_labels(tmp_path):
    titles = {**TITLES, "hulu_titles.csv": [*TITLES["hulu_titles.csv"],
                                            "s5,Movie,Odd,,,,,2019,R,90 min,\"Drama, Space Westerns\",Text."]}
    result = etl.run_etl(write_raw(tmp_path / "raw", titles), tmp_path / "out")
    frame = pd.read_parquet(result.version_dir / "titles.parquet").set_index("id")
    assert frame.loc["ns2", "listed_in"] == "international tv shows, tv dramas"
    assert (frame.loc["ns2", "genres"], frame.loc["ns2", "origin"]) == ("drama", "international")
    assert (frame.loc["hs1", "genres"], frame.loc["hs1", "format"]) == ("comedy", "stand-up")
    assert frame.loc["ds1", "audience"] == "kids & family" and frame.loc["hs5", "genres"] == "drama, space westerns"
    report = " ".join(" ".join(result.report).split())
    assert "titles/hulu 1 listed_in: label 'space westerns' not in core/genres.csv" in report
    assert "titles 1 listed_in labels left unmapped" in report


def test_every_label_of_the_demo_generator_maps(demo_catalog):
    generator_labels = {label.lower() for maps in demo.LABELS.values() for mapping in maps
                        for options in mapping.values() for label in options}
    generator_labels = {etl.GENRES_WITH_COMMAS.get(label, label) for label in generator_labels}
    assert generator_labels <= set(vocabulary().labels)
    assert not map_labels(demo_catalog.titles["listed_in"]).unmapped
    assert "titles 0 listed_in labels left unmapped (not in core/genres.csv)" in \
        " ".join(" ".join(demo_catalog.report).split())


@pytest.mark.real_data
def test_every_label_of_the_four_real_catalogues_maps(real_raw_dir, real_catalog):
    labels = raw_labels(real_raw_dir / "titles")
    assert len(labels) == 118 and labels == set(vocabulary().labels)
    assert not map_labels(real_catalog.titles["listed_in"]).unmapped
    report = " ".join(" ".join(real_catalog.report).split())
    assert "titles 0 listed_in labels left unmapped (not in core/genres.csv)" in report
    assert "titles/netflix 19,323 listed_in: labels mapped" in report
