"""Display title case of lower-case data text."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.text import title_case


@pytest.mark.parametrize("raw, shown", [
    ("the lord of the rings: part ii", "The Lord of the Rings: Part II"),
    ("the lord of the rings: the return of the king", "The Lord of the Rings: The Return of the King"),
    ("kids' tv", "Kids' TV"),
    ("international tv shows", "International TV Shows"),
    ("of mice and men", "Of Mice and Men"),
    ("rocky ii", "Rocky II"),
    ("don't look up", "Don't Look Up"),
    ("what's my line?", "What's My Line?"),
    ("24 hours in a/b", "24 Hours in A/B"),
    ("  brendan   gleeson ", "Brendan Gleeson"),
    ("united kingdom, united states", "United Kingdom, United States"),
    ("spider-man: into the spider-verse", "Spider-Man: Into the Spider-Verse"),
    ("3rd rock from the sun", "3rd Rock from the Sun"),
    ("spider-man: far from home", "Spider-Man: Far from Home"),
    ("action & adventure", "Action & Adventure"),
    ("\"the\" end", "\"The\" End"),
    ("", ""),
    # Surname prefixes keep their inner capital; "mc" needs two more letters, "mac" is left alone (Mack, Machine).
    ("ian mckellen", "Ian McKellen"),
    ("matthew mcconaughey", "Matthew McConaughey"),
    ("old mcdonald's farm", "Old McDonald's Farm"),
    ("(mckellen)", "(McKellen)"),
    ("conan o'brien", "Conan O'Brien"),
    ("sinéad o’connor", "Sinéad O’Connor"),
    ("spider-man vs. mcdonald", "Spider-Man vs. McDonald"),
    ("mack the knife", "Mack the Knife"),
    ("macy gray", "Macy Gray"),
    ("machine gun", "Machine Gun"),
    ("mcs", "Mcs"),
    ("o", "O"),
])
def test_title_case(raw, shown):
    assert title_case(raw) == shown


def test_missing_values():
    assert title_case(None) == "" and title_case(math.nan, missing="—") == "—" and title_case(None, "—") == "—"


@given(st.text(alphabet="abcdefghij -:'", max_size=40))
def test_title_case_keeps_the_letters(text):
    assert title_case(text).lower() == " ".join(text.split()).lower()
