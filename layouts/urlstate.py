"""Widget values <-> URL query strings, so every filter is shareable and survives a reload."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from dash import strip_relative_path

MAX_PATHNAME = 200


def to_query_string(values: dict[str, object]) -> str:
    """'?a=1&b=x,y' from widget values; None and empty values are left out, lists joined by commas."""
    pairs = {}
    for key, value in values.items():
        if value is None or value == "" or value == []:
            continue
        pairs[key] = ",".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
    return "?" + urlencode(pairs) if pairs else ""


def from_query_string(search: str | None) -> dict[str, str]:
    """The raw text values of a query string ('?a=1' -> {'a': '1'}); malformed parts are ignored."""
    return dict(parse_qsl((search or "").lstrip("?"), keep_blank_values=False))


def split_list(text: str | None) -> list[str]:
    """'a,b' -> ['a', 'b'] (empty parts dropped)."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def page_of(pathname: object) -> str | None:
    """The page a browser pathname names, relative to the app ('/recommend' -> 'recommend', '/' -> ''); None for
    anything that is not one of this app's paths (not text, too long, not starting with '/')."""
    if not isinstance(pathname, str) or len(pathname) > MAX_PATHNAME or not pathname.startswith("/"):
        return None
    return strip_relative_path(pathname)
