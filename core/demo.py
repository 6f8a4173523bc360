"""Embedded demo data: a small deterministic synthetic dataset in exactly the raw format of the real files.

Everything is generated (names from syllables, titles and descriptions from per-genre word lists); only the
*style* of the real catalogues is imitated: value vocabularies, shares of missing values, year and duration
ranges, and a few of their known defects, so the ETL's repairs are exercised on the demo data too.
"""

from __future__ import annotations

import gzip
import os
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from core.config import TITLE_FILES, cache_root

DEMO_VERSION = 1
TITLE_COLUMNS = ["show_id", "type", "title", "director", "cast", "country", "date_added",
                 "release_year", "rating", "duration", "listed_in", "description"]
RATING_COLUMNS = ["userId", "rating", "timestamp", "movieId"]
T = TypeVar("T")

# ---------------------------------------------------------------------------------------------- vocabulary
# Latent genres: user tastes and title content live in this space; each platform shows them with its own labels.
GENRES = ("drama", "comedy", "action", "thriller", "horror", "romance", "scifi",
          "documentary", "kids", "crime", "music", "sports", "anime", "reality")
GENRE_INDEX = {name: i for i, name in enumerate(GENRES)}


@dataclass(frozen=True)
class _Words:
    """Per-genre word lists: descriptions and titles draw from them, so same-genre titles share words."""

    nouns: tuple[str, ...]
    verbs: tuple[str, ...]
    adjectives: tuple[str, ...]
    places: tuple[str, ...]


def _w(nouns: str, verbs: str, adjectives: str, places: str) -> _Words:
    """A _Words from '|'-separated lists (keeps the table below readable)."""
    return _Words(*(tuple(part.split("|")) for part in (nouns, verbs, adjectives, places)))


WORDS: dict[str, _Words] = {
    "drama": _w("widow|family|brother|sister|daughter|marriage|secret|inheritance|farmer|teacher|son|homecoming",
                "confronts|mourns|forgives|inherits|abandons|rebuilds|questions|shelters",
                "grieving|estranged|fragile|proud|stubborn|aging|lonely|quiet",
                "in a small town|on the family farm|in a crumbling estate|after a sudden funeral"
                "|in a working-class neighborhood|at a rural hospital"),
    "comedy": _w("slacker|roommate|wedding planner|best friend|prank|bachelor|mishap|neighbor|stepdad"
                 "|road trip|comedian|blunder",
                 "bungles|crashes|fakes|pranks|outwits|bluffs through|spoofs|fumbles",
                 "hapless|clumsy|goofy|awkward|cheerful|chaotic|wacky|eccentric",
                 "at a disastrous wedding|during a chaotic road trip|in a suburban cul-de-sac"
                 "|at the office party|on a budget cruise|at summer camp"),
    "action": _w("mercenary|soldier|commando|hostage|convoy|bodyguard|warlord|pilot|weapon|bomb|squad|sniper",
                 "ambushes|rescues|outguns|chases|storms|defends|battles|escapes",
                 "ruthless|elite|fearless|armed|rogue|explosive|relentless|battle-scarred",
                 "behind enemy lines|on a hijacked train|across a war-torn border|in a burning skyscraper"
                 "|at a remote military base|through the jungle"),
    "thriller": _w("stalker|witness|informant|conspiracy|agent|hacker|suspect|fugitive|cipher|dossier"
                   "|journalist|double agent",
                   "uncovers|tracks|deceives|blackmails|eludes|wiretaps|suspects|exposes",
                   "paranoid|sinister|shadowy|mysterious|desperate|tense|hidden|deadly",
                   "inside a corrupt agency|in a rain-soaked city|on a night train|at a secluded lake house"
                   "|within a secret network|during a citywide blackout"),
    "horror": _w("demon|ghost|curse|spirit|creature|cult|ritual|corpse|witch|zombie|poltergeist|exorcist",
                 "haunts|possesses|summons|devours|awakens|terrorizes|stalks|hexes",
                 "haunted|bloodthirsty|cursed|undead|eerie|demonic|ghastly|monstrous",
                 "in an abandoned asylum|in a cursed farmhouse|deep in the woods|beneath the old cemetery"
                 "|on a moonless night|in a haunted mansion"),
    "romance": _w("sweetheart|fiancee|bride|soulmate|crush|heartbreak|suitor|florist|first date|kiss"
                  "|pen pal|matchmaker",
                  "falls for|courts|woos|kisses|romances|dates|charms|reunites with",
                  "lovesick|charming|passionate|tender|heartbroken|smitten|dreamy|flirtatious",
                  "on a sunlit island|at a seaside bakery|over one magical summer|at a vineyard wedding"
                  "|under the city lights|during a snowy holiday"),
    "scifi": _w("android|starship|alien|cyborg|astronaut|colony|robot|portal|galaxy|time traveler|clone|mutant",
                "colonizes|reprograms|teleports|invades|terraforms|decodes|launches|mutates",
                "galactic|robotic|futuristic|interstellar|dystopian|quantum|cybernetic|extraterrestrial",
                "aboard a derelict starship|on a distant planet|in a dystopian megacity|across parallel universes"
                "|in the year 3000|beyond the wormhole"),
    "documentary": _w("filmmaker|scientist|archive|history|investigation|interview|ecosystem|expedition"
                      "|wildlife|climate|footage|activist",
                      "examines|chronicles|explores|documents|surveys|reveals|profiles|traces",
                      "revealing|historic|intimate|acclaimed|archival|scientific|untold|global",
                      "through rare archival footage|across five continents|with candid interviews"
                      "|in the remote arctic|over three decades|inside a research station"),
    "kids": _w("puppy|princess|toy|unicorn|bunny|kitten|elf|playground|pal|treasure map|bear cub|fairy",
               "befriends|helps|learns from|discovers|sings with|plays with|shares with|giggles with",
               "curious|magical|brave little|friendly|playful|colorful|silly|cuddly",
               "in a candy kingdom|in the enchanted forest|on a rainbow island|at the neighborhood playground"
               "|in a cozy treehouse|under the sea"),
    "crime": _w("detective|gangster|cartel|heist|mobster|drug lord|inspector|thief|kingpin|robbery|cop|smuggler",
                "robs|smuggles|interrogates|launders|arrests|double-crosses|infiltrates|extorts",
                "corrupt|hardened|crooked|notorious|undercover|violent|veteran|gritty",
                "in the criminal underworld|on the mean streets|at a police precinct|inside a mafia family"
                "|along the smuggling route|in a high-security vault"),
    "music": _w("band|singer|rapper|concert|album|guitarist|drummer|choir|tour|dance crew|melody|songwriter",
                "performs|records|rehearses|headlines|sings|composes|tours with|remixes",
                "legendary|aspiring|soulful|rhythmic|rocking|melodic|chart-topping|electrifying",
                "on a world tour|at a sold-out stadium|in a recording studio|at the music festival"
                "|on the club circuit|backstage at the awards"),
    "sports": _w("coach|quarterback|boxer|team|championship|rookie|athlete|stadium|match|tournament|striker"
                 "|trainer",
                 "trains|coaches|competes in|wins|tackles|defeats|qualifies for|scores against",
                 "underdog|competitive|champion|athletic|undefeated|determined|injured|record-breaking",
                 "in the final round|at the championship game|on the high school team|in the boxing ring"
                 "|at the olympic trials|on the race track"),
    "anime": _w("mecha pilot|demon slayer|ninja|samurai|shrine maiden|guild|sorcerer|swordsman|academy|titan"
                "|chosen one|spirit fox",
                "unleashes|duels|seals|transforms|vows to protect|challenges|masters|channels",
                "mystic|ancient|spirited|fated|shonen|immortal|valiant|celestial",
                "in a feudal kingdom|at a magic academy|in a floating sky city|across the spirit realm"
                "|in a shattered empire|at the hidden village"),
    "reality": _w("contestant|chef|host|makeover|challenge|competition|judge|housemate|renovation"
                  "|dating show|influencer|finale",
                  "competes for|cooks for|renovates|eliminates|styles|judges|tastes|films",
                  "ambitious|dramatic|glamorous|unscripted|hilarious|fierce|celebrity|surprising",
                  "in a luxury villa|in the kitchen arena|on a deserted island|inside a fixer-upper"
                  "|before a panel of judges|on live television"),
}
# Genre-neutral words: titles and connectives that every genre may use.
TITLE_WORDS = ("Night", "Storm", "River", "Valley", "Empire", "Harbor", "North", "Sun", "Moon", "Kingdom",
               "Tide", "Road", "Winter", "Summer", "Crown", "Shadows", "Hills", "City", "Lake", "Horizon",
               "Ember", "Echo", "Stone", "Garden", "Signal", "Frontier", "Mirror", "Orchard", "Lantern", "Canyon")
CONNECTIVES = ("while", "until", "but", "as", "after", "before", "when")
SMALL_WORDS = frozenset({"of", "the", "a", "an", "and", "in", "on", "at", "to", "for", "with"})
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")

# Syllables for synthetic people: pronounceable, not drawn from any real cast list.
ONSETS = ("b", "br", "c", "d", "dr", "f", "g", "gr", "h", "j", "k", "l", "m", "n", "p", "r", "s", "st",
          "t", "tr", "v", "w", "z", "sh", "th")
VOWELS = ("a", "e", "i", "o", "u", "ai", "ea", "io", "ou")
CODAS = ("", "", "n", "r", "l", "s", "th", "x", "nd", "m")
FIRST_ENDINGS = ("a", "o", "", "el", "en", "ia", "is", "y")
LAST_ENDINGS = ("son", "ley", "ton", "ford", "man", "ski", "ez", "ini", "berg", "wood", "ova", "ard", "ek")

COUNTRIES = ("United States", "India", "United Kingdom", "Canada", "France", "Japan", "Spain", "South Korea",
             "Germany", "Mexico", "China", "Australia", "Egypt", "Turkey", "Hong Kong", "Italy", "Brazil",
             "Nigeria", "Argentina", "Ireland", "Sweden", "Denmark", "Belgium", "Taiwan", "Philippines",
             "Indonesia", "Colombia", "Poland", "Thailand", "South Africa")

# Platform labels for each latent genre, per content type; several entries = one picked per title.
_LABELS_NETFLIX_MOVIE = {
    "drama": ("Dramas",), "comedy": ("Comedies", "Comedies", "Stand-Up Comedy"),
    "action": ("Action & Adventure",), "thriller": ("Thrillers",), "horror": ("Horror Movies",),
    "romance": ("Romantic Movies",), "scifi": ("Sci-Fi & Fantasy",), "documentary": ("Documentaries",),
    "kids": ("Children & Family Movies",), "crime": ("Thrillers", "Dramas"), "music": ("Music & Musicals",),
    "sports": ("Sports Movies",), "anime": ("Anime Features",), "reality": ("Documentaries",)}
_LABELS_NETFLIX_TV = {
    "drama": ("TV Dramas",), "comedy": ("TV Comedies", "TV Comedies", "Stand-Up Comedy & Talk Shows"),
    "action": ("TV Action & Adventure",), "thriller": ("TV Thrillers", "TV Mysteries"), "horror": ("TV Horror",),
    "romance": ("Romantic TV Shows",), "scifi": ("TV Sci-Fi & Fantasy",),
    "documentary": ("Docuseries", "Docuseries", "Science & Nature TV"), "kids": ("Kids' TV",),
    "crime": ("Crime TV Shows",), "music": ("Reality TV",), "sports": ("Docuseries", "Reality TV"),
    "anime": ("Anime Series",), "reality": ("Reality TV",)}
_LABELS_AMAZON = {
    "drama": ("Drama",), "comedy": ("Comedy",), "action": ("Action", "Action", "Adventure"),
    "thriller": ("Suspense",), "horror": ("Horror",), "romance": ("Romance",),
    "scifi": ("Science Fiction", "Science Fiction", "Fantasy"), "documentary": ("Documentary", "Special Interest"),
    "kids": ("Kids", "Animation"), "crime": ("Suspense", "Drama"),
    "music": ("Music Videos and Concerts", "Arts, Entertainment, and Culture"), "sports": ("Sports", "Fitness"),
    "anime": ("Anime",), "reality": ("Unscripted", "Special Interest")}
_LABELS_HULU_MOVIE = {
    "drama": ("Drama",), "comedy": ("Comedy", "Comedy", "Stand Up"), "action": ("Action", "Adventure"),
    "thriller": ("Thriller", "Mystery"), "horror": ("Horror",), "romance": ("Romance",),
    "scifi": ("Science Fiction",), "documentary": ("Documentaries", "News", "History", "Science & Technology"),
    "kids": ("Kids", "Family", "Cartoons"), "crime": ("Crime",), "music": ("Music",), "sports": ("Sports",),
    "anime": ("Anime",), "reality": ("Reality", "Cooking & Food", "Lifestyle & Culture")}
_LABELS_HULU_TV = {**_LABELS_HULU_MOVIE, "comedy": ("Comedy", "Sitcom"), "anime": ("Anime", "Adult Animation")}
_LABELS_DISNEY_MOVIE = {
    "drama": ("Drama", "Coming of Age"), "comedy": ("Comedy",),
    "action": ("Action-Adventure", "Action-Adventure", "Superhero"), "thriller": ("Mystery",),
    "horror": ("Fantasy",), "romance": ("Romance",), "scifi": ("Science Fiction", "Fantasy"),
    "documentary": ("Documentary", "Animals & Nature", "Historical", "Biographical"),
    "kids": ("Family", "Animation", "Kids"), "crime": ("Crime",), "music": ("Music", "Musical"),
    "sports": ("Sports",), "anime": ("Anime", "Animation"), "reality": ("Reality", "Game Show / Competition")}
_LABELS_DISNEY_TV = {**_LABELS_DISNEY_MOVIE, "documentary": ("Docuseries", "Animals & Nature", "Historical")}
LABELS: dict[str, tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]] = {
    "amazon": (_LABELS_AMAZON, _LABELS_AMAZON), "disney": (_LABELS_DISNEY_MOVIE, _LABELS_DISNEY_TV),
    "hulu": (_LABELS_HULU_MOVIE, _LABELS_HULU_TV), "netflix": (_LABELS_NETFLIX_MOVIE, _LABELS_NETFLIX_TV)}

# Maturity codes per platform and type at five levels (0 = toddlers ... 4 = adults), with weights.
Codes = tuple[tuple[tuple[str, float], ...], ...]
_NETFLIX_MOVIE: Codes = ((("TV-G", 3), ("G", 1), ("TV-Y", 1)), (("PG", 3), ("TV-Y7", 2), ("TV-Y7-FV", .1)),
                         (("PG-13", 4), ("TV-PG", 4)), (("TV-14", 1),),
                         (("TV-MA", 6), ("R", 4), ("NR", .4), ("NC-17", .1), ("UR", .05)))
_NETFLIX_TV: Codes = ((("TV-Y", 2), ("TV-G", 1)), (("TV-Y7", 5), ("TV-Y7-FV", .2)), (("TV-PG", 1),),
                      (("TV-14", 1),), (("TV-MA", 1),))
_AMAZON_MOVIE: Codes = ((("ALL", 5), ("G", .5)), (("7+", 2), ("PG", 1.5)), (("13+", 8), ("PG-13", 2)),
                        (("16+", 6),), (("18+", 5), ("R", 5), ("NR", 1), ("UNRATED", .3)))
_AMAZON_TV: Codes = ((("ALL", 5), ("TV-Y", .5), ("TV-G", .5)), (("7+", 2), ("TV-Y7", .3)),
                     (("13+", 5), ("TV-PG", 1)), (("16+", 5), ("TV-14", 1)), (("18+", 3), ("TV-MA", .5), ("TV-NR", .7)))
_HULU_MOVIE: Codes = ((("G", 1), ("TV-G", 1)), (("PG", 3), ("TV-Y7", 1)), (("PG-13", 1),), (("TV-14", 1),),
                      (("R", 3), ("TV-MA", 1)))
_DISNEY_MOVIE: Codes = ((("G", 4), ("TV-G", 3), ("TV-Y", 1)), (("PG", 4), ("TV-Y7", 2), ("TV-Y7-FV", .2)),
                        (("PG-13", 1), ("TV-PG", 2)), (("TV-14", 1),), (("PG-13", 1),))
_DISNEY_TV: Codes = ((("TV-G", 3), ("TV-Y", 1)), (("TV-Y7", 3), ("TV-Y7-FV", .3)), (("TV-PG", 1),),
                     (("TV-14", 1),), (("TV-14", 1),))
MATURITY: dict[str, tuple[Codes, Codes]] = {
    "amazon": (_AMAZON_MOVIE, _AMAZON_TV), "disney": (_DISNEY_MOVIE, _DISNEY_TV),
    "hulu": (_HULU_MOVIE, _NETFLIX_TV), "netflix": (_NETFLIX_MOVIE, _NETFLIX_TV)}


# ---------------------------------------------------------------------------------------------- platforms
@dataclass(frozen=True)
class PlatformStyle:
    """How one real catalogue looks: sizes, mixes, ranges and shares of missing values."""

    n_titles: int
    tv_share: float
    genre_weights: dict[str, float]
    n_genres_p: tuple[float, float, float]  # P(1, 2, 3 latent genres)
    old_share: float  # titles of any age 1940-2021 (back catalogue); the rest are recent
    age_scale: float  # years, mean age of the recent ones
    movie_minutes: tuple[float, float, float]  # mean, sd, share of shorts
    one_season_p: float
    level_p: tuple[float, float, float, float, float]
    countries: dict[str, float]
    missing: dict[str, float]  # director_movie, director_tv, cast, country, date_added, rating
    cast_size: tuple[float, int]  # mean, max
    dates: tuple[str, str, tuple[float, float], float]  # first, last date_added, Beta skew, share at launch
    description_clauses: tuple[float, float, float]  # P(1, 2, 3 clauses)
    max_labels: int


STYLES: dict[str, PlatformStyle] = {
    "amazon": PlatformStyle(
        1200, 0.19, dict(drama=37, comedy=21, action=17, thriller=15, horror=9, romance=7, scifi=5,
                         documentary=15, kids=14, crime=3, music=5, sports=2.5, anime=1, reality=1.5),
        (.42, .40, .18), .28, 6.0, (92, 22, .12), .66, (.14, .07, .28, .19, .32),
        {"United States": 40, "India": 30, "United Kingdom": 8, "Canada": 4, "France": 2.5, "Germany": 2,
         "Italy": 1.7, "Spain": 1.3},
        dict(director_movie=.08, director_tv=.79, cast=.07, country=.93, date_added=.984, rating=.035),
        (4.3, 24), ("2021-01-01", "2021-03-30", (1.0, 1.0), 0.), (.2, .5, .3), 4),
    "disney": PlatformStyle(
        250, 0.27, dict(drama=3.4, comedy=5.3, action=4.7, thriller=.2, romance=.2, scifi=2.8,
                         documentary=5, kids=13, crime=.2, music=1, sports=.4, anime=.1, reality=.5),
        (.05, .22, .73), .35, 8.0, (90, 20, .2), .55, (.43, .30, .20, .07, 0.),
        {"United States": 82, "United Kingdom": 7, "Canada": 5, "Australia": 2, "France": 2},
        dict(director_movie=.11, director_tv=.9, cast=.07, country=.15, date_added=.004, rating=.004),
        (4.7, 7), ("2019-11-12", "2021-11-26", (1.0, 1.0), .5), (.8, .2, 0.), 3),
    "hulu": PlatformStyle(
        450, 0.52, dict(drama=9, comedy=7, action=11, thriller=3, horror=3, romance=1.9, scifi=1.2,
                         documentary=7, kids=4, crime=2.2, music=.8, sports=1.4, anime=3.3, reality=4.8),
        (.23, .34, .43), .12, 7.0, (98, 17, .04), .50, (.08, .06, .17, .28, .41),
        {"United States": 60, "Japan": 3, "United Kingdom": 11, "Canada": 5, "Germany": 2, "France": 2,
         "Australia": 2, "Sweden": 1, "South Korea": 1},
        dict(director_movie=1., director_tv=1., cast=1., country=.47, date_added=.009, rating=.17),
        (0., 0), ("2006-06-01", "2021-10-24", (3.0, 1.6), 0.), (.3, .5, .2), 3),
    "netflix": PlatformStyle(
        1100, 0.30, dict(drama=30, comedy=21, action=10, thriller=7, horror=4, romance=9, scifi=3,
                         documentary=12, kids=10, crime=5, music=3.5, sports=2, anime=2.3, reality=2.4),
        (.23, .35, .42), .08, 6.5, (100, 20, .08), .64, (.063, .07, .15, .25, .467),
        {"United States": 42, "India": 12, "United Kingdom": 9, "Canada": 5, "France": 4.5, "Japan": 1.5,
         "Spain": 2.6, "South Korea": 2.6, "Germany": 2.6, "Mexico": 1.9, "China": 1.8, "Australia": 1.8,
         "Egypt": 1.3, "Turkey": 1.3, "Hong Kong": 1.2, "Nigeria": .9, "Argentina": .9, "Brazil": .9,
         "Philippines": .8, "Indonesia": .8, "Italy": .8, "Colombia": .5, "Poland": .4, "Thailand": .5},
        dict(director_movie=.04, director_tv=.9, cast=.05, country=.094, date_added=.002, rating=.002),
        (8.0, 40), ("2008-01-01", "2021-09-25", (2.5, 2.0), 0.), (0., .85, .15), 3),
}
# The real catalogues' known defects, planted at small counts (rows per platform).
MISPLACED_DURATIONS = {"hulu": 12, "netflix": 3}  # duration written in the rating column, duration empty
MISSING_DURATIONS = {"hulu": 6}  # duration simply absent (rating intact)
LEADING_SPACE_DATES = {"netflix": 8}  # date_added like " August 4, 2017"
HULU_DIRECTORS = 2  # the real hulu file has almost no director and no cast at all
DUPLICATE_SHARE = 0.001  # exact duplicate rating rows, as in the original ratings

N_ACTORS, N_DIRECTORS = 600, 240
N_USERS, USER_ID_MAX = 2000, 4800
RATINGS_FIRST, RATINGS_LAST = np.datetime64("1995-01-09"), np.datetime64("2021-06-30T23:59:59")
YEAR_MIN, YEAR_MAX = 1940, 2021


# ---------------------------------------------------------------------------------------------- helpers
def _gumbel_top(rng: np.random.Generator, log_w: np.ndarray, k: int) -> np.ndarray:
    """Per row, k column indices sampled without replacement with probability proportional to exp(log_w)."""
    keys = log_w + rng.gumbel(size=log_w.shape)
    if k < keys.shape[1]:  # partition first: only the k winners need sorting
        top = np.argpartition(-keys, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(keys, top, axis=1), axis=1, kind="stable")
        return np.take_along_axis(top, order, axis=1)
    return np.argsort(-keys, axis=1, kind="stable")


def _log(x: np.ndarray) -> np.ndarray:
    """log with log(0) = -inf and no warning (zero weight = never drawn)."""
    with np.errstate(divide="ignore"):
        return np.log(x)


def _pick(options: Sequence[T], u: float) -> T:
    """The option selected by a uniform number in [0, 1) (pre-drawn, so loops stay deterministic)."""
    return options[int(u * len(options))]


def _weighted(rng: np.random.Generator, options: tuple[tuple[str, float], ...], n: int) -> np.ndarray:
    """n draws from (value, weight) pairs."""
    values = np.array([v for v, _ in options], dtype=object)
    weights = np.array([w for _, w in options], dtype=float)
    return values[rng.choice(len(values), size=n, p=weights / weights.sum())]


def _title_case(text: str) -> str:
    """Title Case that keeps small words lower-case (as real titles do) except at the start."""
    words = text.split(" ")
    return " ".join(w if (i and w in SMALL_WORDS) else "-".join(p[:1].upper() + p[1:] for p in w.split("-"))
                    for i, w in enumerate(words))


def _article(word: str) -> str:
    """'a' or 'an' before a word."""
    return "an" if word[0] in "aeiou" else "a"


def _format_date(day: np.datetime64) -> str:
    """Kaggle style 'September 5, 2021' (English month names whatever the locale)."""
    y, m, d = (int(x) for x in str(day).split("-"))
    return f"{MONTHS[m - 1]} {d}, {y}"


# ---------------------------------------------------------------------------------------------- people
def _names(rng: np.random.Generator, n: int) -> list[str]:
    """n distinct synthetic 'First Last' names built from syllables."""
    size = 3 * n  # generous: duplicates are dropped below

    def pick(options: tuple[str, ...]) -> np.ndarray:
        """One random entry of options per name."""
        return np.array(options, dtype=object)[rng.integers(len(options), size=size)]

    def maybe(parts: np.ndarray) -> np.ndarray:
        """parts for about half of the names, '' for the rest."""
        return np.where(rng.random(size) < 0.5, parts, "")

    two = rng.random(size) < 0.5
    second = np.where(two, pick(ONSETS[:-2]) + pick(VOWELS[:5]), pick(CODAS))
    firsts = pick(ONSETS) + pick(VOWELS) + second + pick(FIRST_ENDINGS)
    lasts = pick(ONSETS) + pick(VOWELS) + maybe(pick(ONSETS[:-2]) + pick(VOWELS[:5])) + pick(LAST_ENDINGS)
    full = [f"{f.capitalize()} {l.capitalize()}" for f, l in zip(firsts, lasts)]
    return list(dict.fromkeys(full))[:n]  # dict keeps first-seen order: deterministic, unlike a set


@dataclass(frozen=True)
class People:
    """The pool of synthetic actors and directors with what makes them recur: fame, home platform, genre."""

    names: np.ndarray
    log_fame: np.ndarray
    platform: np.ndarray
    genre: np.ndarray


def _people(rng: np.random.Generator, n: int, zipf: float) -> People:
    """A pool whose fame is Zipf-like, so a few people appear in many titles."""
    names = np.array(_names(rng, n), dtype=object)
    rank = rng.permutation(n) + 1
    platforms = rng.choice(4, size=n, p=[.4, .1, .1, .4])  # amazon/netflix hold most credits
    return People(names, -zipf * np.log(rank + 50.0), platforms, rng.integers(len(GENRES), size=n))


def _credits(rng: np.random.Generator, people: People, platform_idx: int, genres: np.ndarray,
             sizes: np.ndarray) -> list[str]:
    """Comma-separated credits per title: famous, same-platform, same-genre people are drawn more often."""
    log_w = (people.log_fame[None, :] + np.log(3.0) * (people.platform == platform_idx)[None, :]
             + np.log(3.0) * genres[:, people.genre])
    order = _gumbel_top(rng, log_w, max(int(sizes.max(initial=0)), 1))
    return [", ".join(people.names[row[:k]]) for row, k in zip(order, sizes)]


# ---------------------------------------------------------------------------------------------- titles
def _genres(rng: np.random.Generator, style: PlatformStyle, is_tv: np.ndarray) -> np.ndarray:
    """(n, 3) latent genre ids per title, primary first; -1 pads titles with fewer genres."""
    base = _per_genre(0.0, **style.genre_weights)
    # Series lean to anime, reality and docuseries; films to horror, thrillers and music.
    tv_tilt = _per_genre(1.0, anime=3, reality=4, documentary=1.3, kids=1.3, horror=.3, thriller=.5, music=.4,
                         sports=.8)
    weights = np.where(is_tv[:, None], base * tv_tilt, base)
    order = _gumbel_top(rng, _log(weights), 3)
    k = rng.choice(3, size=len(is_tv), p=style.n_genres_p) + 1
    return np.where(np.arange(3)[None, :] < k[:, None], order, -1)


def _per_genre(default: float, **values: float) -> np.ndarray:
    """A value per latent genre: default, except for the genres named."""
    return np.array([values.get(g, default) for g in GENRES])


def _genre_matrix(genre_ids: np.ndarray) -> np.ndarray:
    """(n, K) 0/1 membership matrix from padded genre ids."""
    out = np.zeros((len(genre_ids), len(GENRES)))
    rows, cols = np.nonzero(genre_ids >= 0)
    out[rows, genre_ids[rows, cols]] = 1.0
    return out


def _release_years(rng: np.random.Generator, style: PlatformStyle, n: int) -> np.ndarray:
    """Years skewed to recent, with a back catalogue of older titles back to 1940."""
    span = YEAR_MAX - YEAR_MIN
    # Gamma(2) ages peak a few years back, like the real catalogues (fewer brand-new titles than 3-year-old ones).
    age = np.where(rng.random(n) < style.old_share, rng.random(n) * span, rng.gamma(2.0, style.age_scale / 2, n))
    return YEAR_MAX - np.minimum(age, span).astype(int)


def _durations(rng: np.random.Generator, style: PlatformStyle, is_tv: np.ndarray, genres: np.ndarray) -> list[str]:
    """'97 min' for movies (kids' films shorter, some shorts), '1 Season' / 'n Seasons' for shows."""
    n = len(is_tv)
    mean, sd, short_share = style.movie_minutes
    minutes = rng.normal(mean, sd, n) - 12 * genres[:, GENRE_INDEX["kids"]]
    minutes = np.where(rng.random(n) < short_share, rng.uniform(3, 60, n), minutes)
    minutes = np.clip(np.rint(minutes), 3, 240).astype(int)
    seasons = np.minimum(rng.geometric(style.one_season_p, n), 15)
    return [(f"{s} Season" + ("s" if s > 1 else "")) if tv else f"{m} min"
            for tv, m, s in zip(is_tv, minutes, seasons)]


def _countries(rng: np.random.Generator, style: PlatformStyle, genres: np.ndarray) -> list[str]:
    """Comma-separated production countries; anime is Japanese; some co-productions."""
    n = len(genres)
    weights = np.array([style.countries.get(c, 0.3) for c in COUNTRIES])
    log_w = np.repeat(_log(weights)[None, :], n, axis=0)
    log_w[:, COUNTRIES.index("Japan")] += 6.0 * genres[:, GENRE_INDEX["anime"]]
    order = _gumbel_top(rng, log_w, 4)
    k = rng.choice(4, size=n, p=[.85, .10, .04, .01]) + 1
    return [", ".join(COUNTRIES[j] for j in row[:m]) for row, m in zip(order, k)]


def _date_added(rng: np.random.Generator, style: PlatformStyle, years: np.ndarray) -> list[str]:
    """Dates skewed to the catalogue's snapshot, never before the release year nor before the platform."""
    first, last = np.datetime64(style.dates[0]), np.datetime64(style.dates[1])
    (a, b), launch_share = style.dates[2:]
    jan1 = (years - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    lo = np.maximum(jan1, first)
    span = np.maximum((last - lo).astype(float), 0.0)
    # Beta-skewed position in the window [release or launch, snapshot]: most additions are recent-ish.
    days = lo + np.rint(rng.beta(a, b, len(years)) * span).astype(np.int64).astype("timedelta64[D]")
    # A new service launches with its back catalogue: one date for a large share (Disney+, 2019).
    days = np.where((rng.random(len(years)) < launch_share) & (lo == first), first, days)
    return [_format_date(d) for d in days]


def _maturity(rng: np.random.Generator, platform: str, style: PlatformStyle, is_tv: np.ndarray,
              genres: np.ndarray) -> np.ndarray:
    """Maturity codes: kids' titles get low levels, horror/crime/thrillers high ones."""
    n = len(is_tv)
    level = rng.choice(5, size=n, p=style.level_p)
    kids = genres[:, GENRE_INDEX["kids"]] > 0
    dark = (genres[:, [GENRE_INDEX["horror"], GENRE_INDEX["crime"], GENRE_INDEX["thriller"]]] > 0).any(axis=1)
    level = np.where(kids, np.minimum(level, rng.integers(0, 2, n)), level)
    level = np.where(dark & ~kids, np.maximum(level, 3 - (rng.random(n) < .3)), level)
    movie_codes, tv_codes = MATURITY[platform]
    out = np.empty(n, dtype=object)
    for tv, table in ((False, movie_codes), (True, tv_codes)):
        for lv in range(5):
            mask = (is_tv == tv) & (level == lv)
            out[mask] = _weighted(rng, table[lv], int(mask.sum()))
    return out


def _listed_in(rng: np.random.Generator, platform: str, is_tv: np.ndarray, genre_ids: np.ndarray,
               countries: list[str], years: np.ndarray, max_labels: int) -> list[str]:
    """Platform-style genre labels, sorted as in the real files, with country/era labels where apt."""
    u = rng.random((len(is_tv), 6))
    movie_map, tv_map = LABELS[platform]
    out = []
    for i, (tv, ids) in enumerate(zip(is_tv, genre_ids)):
        mapping = tv_map if tv else movie_map
        labels = [_pick(mapping[GENRES[g]], u[i, j]) for j, g in enumerate(ids) if g >= 0]
        extra = _extra_labels(platform, bool(tv), countries[i].split(", ")[0], int(years[i]), u[i, 3:])
        chosen = list(dict.fromkeys(labels[:1] + extra + labels[1:]))[:max_labels]
        out.append(", ".join(sorted(chosen)))
    return out


def _extra_labels(platform: str, tv: bool, country: str, year: int, u: np.ndarray) -> list[str]:
    """Labels that follow origin or age rather than genre (International, British TV Shows, Classics...)."""
    foreign = country not in ("", "United States")
    extra = []
    if platform == "netflix":
        if foreign and u[0] < .85:
            extra.append("International TV Shows" if tv else "International Movies")
        regional = {"United Kingdom": "British TV Shows", "South Korea": "Korean TV Shows",
                    "Spain": "Spanish-Language TV Shows", "Mexico": "Spanish-Language TV Shows"}
        if tv and country in regional:
            extra.append(regional[country])
        if not tv and (year < 1975 or u[1] < .08):
            extra.append("Classic Movies" if year < 1975 else "Independent Movies")
    elif platform == "amazon":
        if foreign and u[0] < .1:
            extra.append("International")
        if tv and u[1] < .2:
            extra.append("TV Shows")
        elif not tv and u[2] < .03:
            extra.append(_pick(("Arthouse", "Western", "Young Adult Audience"), u[1]))
    elif platform == "hulu":
        if foreign and u[0] < .2:
            extra.append("International")
        if year < 1975:
            extra.append("Classics")
        elif u[1] < .08:
            extra.append(_pick(("Black Stories", "Latino", "LGBTQ+", "Teen"), u[2]))
    elif u[0] < .35:  # disney: most titles are also tagged Family or Animation
        extra.append(_pick(("Family", "Family", "Animation", "Buddy"), u[1]))
    return extra


def _titles(rng: np.random.Generator, genre_ids: np.ndarray, first_names: list[str]) -> list[str]:
    """Unique Title Case titles from genre words; repeats become sequels ('... 2')."""
    u = rng.random((len(genre_ids), 6))
    raw = [_one_title(ids[0], ids[1] if ids[1] >= 0 else ids[0], row, first_names)
           for ids, row in zip(genre_ids, u)]
    seen: dict[str, int] = {}
    out = []
    for title in raw:
        seen[title] = seen.get(title, 0) + 1
        out.append(title if seen[title] == 1 else f"{title} {seen[title]}")
    return out


def _one_title(g1: int, g2: int, u: np.ndarray, first_names: list[str]) -> str:
    """One title from a pattern: 'The Cursed Harbor', 'Ghost of the North', "Mara's Heist"..."""
    w1, w2 = WORDS[GENRES[g1]], WORDS[GENRES[g2]]
    noun, adj = _pick(w1.nouns, u[1]), _pick(w2.adjectives, u[2])
    word, name = _pick(TITLE_WORDS, u[3]), _pick(first_names, u[4])
    patterns = (f"the {adj} {noun}", f"{adj} {noun}", f"{noun} of the {word}", f"{name}'s {noun}",
                f"{name} and the {noun}", f"{word} {noun}", f"{noun}: {adj} {word}", f"{adj} {word}")
    return _title_case(_pick(patterns, u[0]))


def _descriptions(rng: np.random.Generator, genre_ids: np.ndarray, clauses_p: tuple[float, float, float]) -> list[str]:
    """One sentence per title whose words come from the title's genres (so TF-IDF sees genre overlap)."""
    n = len(genre_ids)
    clauses = rng.choice(3, size=n, p=clauses_p) + 1
    u = rng.random((n, 3, 10))
    out = []
    for ids, k, rows in zip(genre_ids, clauses, u):
        pool = [g for g in ids if g >= 0]
        parts = [_clause(pool, rows[c], full=c == 0) for c in range(k)]
        text = parts[0] + "".join(f"{',' if c == 1 else ''} {_pick(CONNECTIVES, rows[c][7])} {p}"
                                  for c, p in enumerate(parts[1:], start=1))
        out.append(text[0].upper() + text[1:] + ".")
    return out


def _clause(pool: list[int], u: np.ndarray, full: bool) -> str:
    """'a grieving widow confronts the hacker in a rain-soaked city', words from the genres in pool."""
    words = [WORDS[GENRES[_pick(pool, x)]] for x in u[:4]]
    adj, noun = _pick(words[0].adjectives, u[4]), _pick(words[1].nouns, u[5])
    verb, obj = _pick(words[2].verbs, u[6]), _pick(words[3].nouns, u[8])
    tail = f" {_pick(words[0].places, u[9])}" if full else ""
    return f"{_article(adj)} {adj} {noun} {verb} the {obj}{tail}"


# ---------------------------------------------------------------------------------------------- catalogues
@dataclass(frozen=True)
class Catalogue:
    """All generated titles: the raw-format frames plus the hidden features the ratings are drawn from."""

    frames: dict[str, pd.DataFrame]
    movie_ids: np.ndarray
    genres: np.ndarray  # (n, K) 0/1
    years: np.ndarray


def _platform_frame(rng: np.random.Generator, platform: str, actors: People, directors: People,
                    first_names: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """One platform's raw catalogue (defects not yet planted) and its genre matrix."""
    style, p_idx = STYLES[platform], list(STYLES).index(platform)
    n = style.n_titles
    is_tv = rng.random(n) < style.tv_share
    genre_ids = _genres(rng, style, is_tv)
    genres = _genre_matrix(genre_ids)
    years = _release_years(rng, style, n)
    countries = _countries(rng, style, genres)
    frame = pd.DataFrame({
        "show_id": [f"s{i}" for i in range(1, n + 1)],
        "type": np.where(is_tv, "TV Show", "Movie"),
        "title": _titles(rng, genre_ids, first_names),
        "director": _credits(rng, directors, p_idx, genres, rng.choice(3, size=n, p=[.9, .09, .01]) + 1),
        "cast": _cast(rng, actors, p_idx, style, genres),
        "country": countries,
        "date_added": _date_added(rng, style, years),
        "release_year": years,
        "rating": _maturity(rng, platform, style, is_tv, genres),
        "duration": _durations(rng, style, is_tv, genres),
        "listed_in": _listed_in(rng, platform, is_tv, genre_ids, countries, years, style.max_labels),
        "description": _descriptions(rng, genre_ids, style.description_clauses),
    })
    return _blank_missing(rng, frame, style, is_tv, genres), genres


def _cast(rng: np.random.Generator, actors: People, p_idx: int, style: PlatformStyle,
          genres: np.ndarray) -> list[str]:
    """Cast lists of platform-typical length (blanked later where the real files have none)."""
    mean, cap = style.cast_size
    if cap == 0:  # hulu lists no cast at all
        return [""] * len(genres)
    sizes = np.clip(rng.poisson(mean - 1, len(genres)) + 1, 1, cap)
    return _credits(rng, actors, p_idx, genres, sizes)


def _blank_missing(rng: np.random.Generator, frame: pd.DataFrame, style: PlatformStyle, is_tv: np.ndarray,
                   genres: np.ndarray) -> pd.DataFrame:
    """Empty the fields the real catalogue leaves empty, at its shares (documentaries often lack a cast)."""
    n, m = len(frame), style.missing
    unscripted = genres[:, [GENRE_INDEX["documentary"], GENRE_INDEX["reality"]]].max(axis=1)
    p = {"director": np.where(is_tv, m["director_tv"], m["director_movie"]),
         "cast": np.clip(m["cast"] * (1 + 3 * unscripted), 0, 1),
         "country": np.full(n, m["country"]), "date_added": np.full(n, m["date_added"]),
         "rating": np.full(n, m["rating"])}
    out = frame.copy()
    for column, prob in p.items():
        out.loc[rng.random(n) < prob, column] = ""
    return out


def _plant_defects(rng: np.random.Generator, frames: dict[str, pd.DataFrame]) -> None:
    """The real files' quirks at small counts, so the ETL's repairs run on the demo data too."""
    for platform, count in MISPLACED_DURATIONS.items():
        f = frames[platform]
        rows = rng.choice(np.flatnonzero(f["type"].eq("Movie").to_numpy()), count, replace=False)
        f.loc[f.index[rows], "rating"] = f.loc[f.index[rows], "duration"]
        f.loc[f.index[rows], "duration"] = ""
    for platform, count in MISSING_DURATIONS.items():
        f = frames[platform]
        rows = rng.choice(np.flatnonzero(f["duration"].ne("").to_numpy()), count, replace=False)
        f.loc[f.index[rows], "duration"] = ""
    for platform, count in LEADING_SPACE_DATES.items():
        f = frames[platform]
        rows = rng.choice(np.flatnonzero(f["date_added"].ne("").to_numpy()), count, replace=False)
        f.loc[f.index[rows], "date_added"] = " " + f.loc[f.index[rows], "date_added"]
    hulu = frames["hulu"]
    rows = rng.choice(len(hulu), HULU_DIRECTORS, replace=False)
    hulu.loc[hulu.index[rows], "director"] = _names(rng, HULU_DIRECTORS)


def _catalogue(rng: np.random.Generator) -> Catalogue:
    """All four catalogues plus the per-title features used to draw ratings."""
    actors, directors = _people(rng, N_ACTORS, 0.9), _people(rng, N_DIRECTORS, 1.0)
    first_names = [name.split(" ")[0] for name in _names(rng, 200)]
    frames, genres = {}, []
    for platform in STYLES:
        frames[platform], g = _platform_frame(rng, platform, actors, directors, first_names)
        genres.append(g)
    _plant_defects(rng, frames)
    ids = np.concatenate([(p[0] + f["show_id"]).to_numpy(dtype=object) for p, f in frames.items()])
    years = np.concatenate([f["release_year"].to_numpy() for f in frames.values()])
    return Catalogue(frames, ids, np.vstack(genres), years)


# ---------------------------------------------------------------------------------------------- ratings
@dataclass(frozen=True)
class Users:
    """Hidden user traits: activity, taste per latent genre, generosity, active period."""

    ids: np.ndarray
    n_ratings: np.ndarray
    taste: np.ndarray  # (U, K)
    bias: np.ndarray
    start: np.ndarray  # unix seconds
    end: np.ndarray


def _users(rng: np.random.Generator, n_titles: int) -> Users:
    """Users with heavy-tailed activity (>= 20 ratings each) and one favourite and one disliked genre."""
    ids = np.sort(rng.choice(np.arange(1, USER_ID_MAX + 1), N_USERS, replace=False))  # sparse ids, as real
    n_ratings = np.minimum(20 + rng.lognormal(np.log(45), 1.1, N_USERS), n_titles // 3).astype(int)
    taste = rng.normal(0.0, 0.45, (N_USERS, len(GENRES)))
    rows = np.arange(N_USERS)
    fav = rng.integers(len(GENRES), size=N_USERS)
    disliked = (fav + rng.integers(1, len(GENRES), size=N_USERS)) % len(GENRES)
    taste[rows, fav] += 1.5
    taste[rows, disliked] -= 1.2
    first, last = (t.astype("datetime64[s]").astype(np.int64) for t in (RATINGS_FIRST, RATINGS_LAST))
    start = rng.integers(first, last - 30 * 86400, N_USERS)
    end = np.minimum(start + rng.exponential(4 * 365.25 * 86400, N_USERS).astype(np.int64), last)
    return Users(ids, n_ratings, taste, rng.normal(0.0, 0.35, N_USERS), start, end)


def _choose_titles(rng: np.random.Generator, users: Users, content: np.ndarray, log_pop: np.ndarray,
                   years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(user row, title index) pairs: each user rates distinct titles, favouring popular ones and their tastes."""
    end_year = 1970 + users.end / (365.25 * 86400)
    user_rows, title_idx = [], []
    for lo in range(0, N_USERS, 500):  # chunks keep the (users x titles) key matrix small
        hi = min(lo + 500, N_USERS)
        # Titles released after a user stopped rating are unlikely picks (else every rating lands in 2020-21).
        too_new = np.maximum(years[None, :] - end_year[lo:hi, None], 0.0)
        logits = log_pop[None, :] + 1.2 * users.taste[lo:hi] @ content.T - 0.7 * too_new
        k = users.n_ratings[lo:hi]
        order = _gumbel_top(rng, logits, int(k.max()))
        keep = np.arange(order.shape[1])[None, :] < k[:, None]
        user_rows.append(np.repeat(np.arange(lo, hi), k))
        title_idx.append(order[keep])
    return np.concatenate(user_rows), np.concatenate(title_idx)


def _stars(rng: np.random.Generator, score: np.ndarray) -> np.ndarray:
    """Half-star ratings 0.5-5.0; people favour whole stars, as in the originals (4.0 is most common)."""
    half = np.rint(score * 2) / 2
    whole = np.rint(score)
    stars = np.where((half % 1 == 0.5) & (rng.random(len(score)) < 0.5), whole, half)
    return np.clip(stars, 0.5, 5.0)


def _timestamps(rng: np.random.Generator, users: Users, user_rows: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Unix seconds inside the user's active period, never before the title's release year, up to mid-2021."""
    last = RATINGS_LAST.astype("datetime64[s]").astype(np.int64)
    released = (years - 1970).astype("datetime64[Y]").astype("datetime64[s]").astype(np.int64)
    lo = np.maximum(users.start[user_rows], released)
    hi = np.minimum(np.maximum(users.end[user_rows], lo + 60 * 86400), last)
    return lo + (rng.random(len(lo)) * (hi - lo)).astype(np.int64)


def _ratings(rng: np.random.Generator, cat: Catalogue, signal: bool = True) -> pd.DataFrame:
    """rating = mean + user bias + title quality + taste . genres + noise, for user-chosen titles; without
    `signal`, mean + user bias + noise only (the titles carry nothing to learn)."""
    n_titles = len(cat.movie_ids)
    content = cat.genres / np.maximum(cat.genres.sum(axis=1, keepdims=True), 1)
    quality = rng.normal(0.0, 0.45, n_titles)
    # Popular titles are somewhat better and more recent; the rest is luck (heavy-tailed).
    log_pop = rng.normal(0.0, 1.0, n_titles) + 0.8 * quality + 0.03 * (cat.years - YEAR_MAX)
    users = _users(rng, n_titles)
    u, t = _choose_titles(rng, users, content, log_pop, cat.years)
    title_part = quality[t] + np.einsum("ij,ij->i", users.taste[u], content[t]) if signal else 0.0
    score = 3.25 + users.bias[u] + title_part + 0.55 * rng.standard_t(5, len(u))  # heavy-ish tails: some 0.5s
    frame = pd.DataFrame({"userId": users.ids[u], "rating": _stars(rng, score),
                          "timestamp": _timestamps(rng, users, u, cat.years[t]), "movieId": cat.movie_ids[t]})
    return _with_duplicates(rng, frame)


def _with_duplicates(rng: np.random.Generator, frame: pd.DataFrame) -> pd.DataFrame:
    """Add ~0.1% exact duplicate rows, then sort by user and time like the originals."""
    dup = rng.choice(len(frame), int(round(DUPLICATE_SHARE * len(frame))), replace=False)
    out = pd.concat([frame, frame.iloc[np.sort(dup)]], ignore_index=True)
    order = np.lexsort((out["timestamp"].to_numpy(), out["userId"].to_numpy()))
    return out.iloc[order].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------- output
def _write_titles(titles_dir: Path, frames: dict[str, pd.DataFrame]) -> None:
    """The four catalogues as UTF-8 CSV with LF endings, quoted only where needed (as the real files)."""
    titles_dir.mkdir(parents=True, exist_ok=True)
    for platform, frame in frames.items():
        frame[TITLE_COLUMNS].to_csv(titles_dir / TITLE_FILES[platform], index=False, lineterminator="\n",
                                    encoding="utf-8")


def _write_ratings(ratings_dir: Path, ratings: pd.DataFrame) -> None:
    """Two rating files: 1.csv.gz (gzip, mtime 0 so bytes are reproducible) and 2.csv (plain)."""
    ratings_dir.mkdir(parents=True, exist_ok=True)
    # Half-stars as ready-made text ('4.0'): pandas' float formatting is the slowest part otherwise.
    labels = np.array([f"{x / 2:.1f}" for x in range(11)], dtype=object)
    text = ratings.assign(rating=labels[np.rint(ratings["rating"].to_numpy() * 2).astype(int)])
    half = len(text) // 2
    # The cut falls at a row count, not a user boundary, as in the originals' fixed-size files.
    first = text.iloc[:half].to_csv(index=False, lineterminator="\n")
    (ratings_dir / "1.csv.gz").write_bytes(gzip.compress(first.encode("utf-8"), compresslevel=6, mtime=0))
    text.iloc[half:].to_csv(ratings_dir / "2.csv", index=False, lineterminator="\n")


def generate_demo_raw(out_dir: Path, seed: int = 2021, signal: bool = True) -> Path:
    """Write a synthetic raw data dir (titles/ and ratings/) into out_dir; same seed, same bytes. signal=False:
    ratings are user bias + noise only (a data set where nothing about the titles can be learned)."""
    out_dir = Path(out_dir)
    # Independent streams per stage: changing how ratings are drawn leaves the catalogues unchanged.
    titles_rng, ratings_rng = np.random.default_rng(seed).spawn(2)
    cat = _catalogue(titles_rng)
    _write_titles(out_dir / "titles", cat.frames)
    _write_ratings(out_dir / "ratings", _ratings(ratings_rng, cat, signal))
    return out_dir


def is_demo_raw_dir(raw_dir: str | None) -> bool:
    """Whether a raw dir (as a processed folder's manifest names it) is the generated demo data's."""
    return bool(raw_dir) and Path(str(raw_dir)).name.startswith("demo-raw-v")


def ensure_demo_raw(root: Path | None = None) -> Path:
    """The demo raw dir <root>/demo-raw-v<DEMO_VERSION>, generated once (atomically) if absent."""
    root = Path(root) if root is not None else cache_root()
    target = root / f"demo-raw-v{DEMO_VERSION}"
    if target.is_dir():
        return target
    root.mkdir(parents=True, exist_ok=True)
    # Build in a private sibling and rename: readers never see a half-written dir, and racers can't collide.
    tmp = root / f".{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        generate_demo_raw(tmp)
        try:
            os.replace(tmp, target)
        except OSError:
            if not target.is_dir():  # a real failure, not a lost race
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
