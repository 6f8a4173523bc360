"""The heading every panel opens with."""

from __future__ import annotations

from dash import html


def page_header(title: str, subtitle: str) -> html.Div:
    """The panel's H1 and a one-line description under it."""
    return html.Div([html.H1(title, className="h4 mb-0"),
                     html.Span(subtitle, className="text-body-secondary small")], className="mb-3")
