"""Display title case of lower-case data text."""

import math

import pytest

from core.text import title_case


@pytest.mark.parametrize("raw, shown", [
    ("the lord of the rings: part ii", "The Lord of the Rings: Part II"),
    ("kids' tv", "Kids' TV"),
    ("of mice and men", "Of Mice and Men"),
    ("3rd rock from the sun", "3rd Rock from the Sun"),
    ("spider-man: far from home", "Spider-Man: Far from Home"),
    ("action & adventure", "Action & Adventure"),
    ("\"the\" end", "\"The\" End"),
    ("", ""),
])
def test_title_case(raw, shown):
    assert title_case(raw) == shown


def test_missing_values():
    assert title_case(None) == "" and title_case(math.nan, missing="—") == "—"
