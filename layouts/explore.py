"""Explore panel: headline numbers and charts comparing the platforms."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from layouts.state import catalog


def headline_card(label: str, value: str) -> dbc.Col:
    """One headline number."""
    return dbc.Col(dbc.Card(dbc.CardBody([html.Div(label, className="text-body-secondary small"),
                                          html.Div(value, className="fs-3 fw-semibold")])), md=3, sm=6)


def layout(**query: str) -> html.Div:
    """The Explore page."""
    data = catalog()
    scored = data.titles["score"].dropna()
    return html.Div([
        dbc.Row([headline_card("Titles", f"{len(data.titles):,}"),
                 headline_card("Users", f"{len(data.users):,}"),
                 headline_card("Ratings", f"{int(data.users['n_ratings'].sum()):,}"),
                 headline_card("Mean score", f"★ {scored.mean():.2f}")], className="g-3 mb-3"),
    ])
