"""Plotly figure helpers shared by every panel: theme-aware templates, platform colours, empty states."""

from __future__ import annotations

import plotly.graph_objects as go

PLATFORM_COLORS = {"amazon": "#00a8e1", "disney": "#113ccf", "hulu": "#1ce783", "netflix": "#e50914"}
PLATFORM_LABELS = {"amazon": "Amazon Prime", "disney": "Disney+", "hulu": "Hulu", "netflix": "Netflix"}


def template_for(theme: str | None) -> str:
    """The Plotly template matching the page's Bootstrap colour mode."""
    return "plotly_dark" if theme == "dark" else "plotly_white"


def styled(fig: go.Figure, theme: str | None, title: str | None = None) -> go.Figure:
    """A figure with the app's look: theme template, transparent background, compact margins."""
    fig.update_layout(template=template_for(theme), title=title, paper_bgcolor="rgba(0,0,0,0)",
                      plot_bgcolor="rgba(0,0,0,0)", margin=dict(l=40, r=20, t=50 if title else 20, b=40),
                      legend_title_text="", font=dict(size=12))
    return fig


def empty_figure(message: str, theme: str | None = None) -> go.Figure:
    """A blank chart that says why it is blank (e.g. 'no titles match these filters')."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font=dict(size=14), xref="paper", yref="paper", x=0.5, y=0.5)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return styled(fig, theme)
