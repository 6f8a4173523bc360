"""Queries panel: one card per question."""

from dash import html


def layout(**query: str) -> html.Div:
    """The Queries page."""
    return html.Div(html.H2("Queries", className="h4"))
