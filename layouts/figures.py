"""Plotly figure helpers shared by every panel: theme-aware templates, platform colours, empty states."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

PLATFORM_COLORS = {"amazon": "#00a8e1", "disney": "#113ccf", "hulu": "#1ce783", "netflix": "#e50914"}
PLATFORM_LABELS = {"amazon": "Amazon Prime", "disney": "Disney+", "hulu": "Hulu", "netflix": "Netflix"}


def template_for(theme: str | None) -> str:
    """The Plotly template matching the page's Bootstrap colour mode."""
    return "plotly_dark" if theme == "dark" else "plotly_white"


def styled(fig: go.Figure, theme: str | None, title: str | None = None) -> go.Figure:
    """A figure with the app's look: theme template, transparent background, compact margins."""
    _apply_template(fig, template_for(theme))
    fig.update_layout(title=title, paper_bgcolor="rgba(0,0,0,0)",
                      plot_bgcolor="rgba(0,0,0,0)", margin=dict(l=40, r=20, t=50 if title else 20, b=40),
                      legend_title_text="", font=dict(size=12))
    return fig


def _apply_template(fig: go.Figure, name: str) -> None:
    """Set a registered template on the figure without validating it again."""
    # Assigning a template validates and deep-copies every property of it (~6 ms a figure, most of a chart's build
    # time). The registered templates are valid already, so skip that, as Plotly does for its default template; the
    # figure still gets its own copy, and validation stays on for everything else.
    layout = fig.layout
    validate, layout._validate = layout._validate, False
    try:
        layout.template = pio.templates[name]
    finally:
        layout._validate = validate


def empty_figure(message: str, theme: str | None = None) -> go.Figure:
    """A blank chart that says why it is blank (e.g. 'no titles match these filters')."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font=dict(size=14), xref="paper", yref="paper", x=0.5, y=0.5)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return styled(fig, theme)
