"""Recommend panel: pick a user and a title."""

from dash import html


def layout(**query: str) -> html.Div:
    """The Recommend page."""
    return html.Div(html.H2("Recommend", className="h4"))
