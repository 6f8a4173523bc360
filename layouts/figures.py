"""Plotly figure helpers shared by every panel: theme-aware templates, platform colours, empty states."""

from __future__ import annotations

from functools import lru_cache

import plotly.graph_objects as go
import plotly.io as pio

PLATFORM_COLORS = {"amazon": "#00a8e1", "disney": "#113ccf", "hulu": "#1ce783", "netflix": "#e50914"}
PLATFORM_LABELS = {"amazon": "Amazon Prime", "disney": "Disney+", "hulu": "Hulu", "netflix": "Netflix"}


DARK_TEXT, LIGHT_TEXT = "#212529", "#ffffff"
# A horizontal legend at the bottom of the figure, under the x-axis title: on a narrow screen it wraps onto more
# lines and Plotly grows the bottom margin for them, so it never covers the plot nor meets the mode bar on top.
BOTTOM_LEGEND = {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "xanchor": "left", "x": 0}


def luminance(hex_color: str) -> float:
    """The relative luminance of a #rrggbb colour (WCAG 2.1)."""
    channels = [int(hex_color.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    red, green, blue = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two #rrggbb colours (1 to 21; text needs 4.5)."""
    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def readable_on(background: str) -> str:
    """Dark or white text, whichever contrasts more with the background (Hulu's green takes dark text)."""
    return max((DARK_TEXT, LIGHT_TEXT), key=lambda text: contrast(text, background))


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


# ---------------------------------------------------------------------------------------------- figures as dicts
# Plotly JSON dicts (what dcc.Graph receives anyway) skip graph_objects' validation of every property on each call;
# the unit tests run that validation instead (`go.Figure(figure)`).
def themed_layout(theme: str | None) -> dict:
    """The layout `styled(go.Figure(), theme)` gives, template resolved, as a fresh dict (the template is shared)."""
    return dict(_themed_layout("dark" if theme == "dark" else "light"))


def empty_dict(message: str, theme: str | None = None) -> dict:
    """`empty_figure(message, theme)` as a Plotly JSON dict (the template is shared)."""
    figure = _empty_dict(message, "dark" if theme == "dark" else "light")
    return {"data": [], "layout": dict(figure["layout"])}


def merged(base: dict, updates: dict) -> dict:
    """`base` updated as `update_layout(**updates)` would: nested dicts merged, None removes; `base` is unchanged."""
    out = dict(base)
    for key, value in updates.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


@lru_cache(maxsize=2)
def _themed_layout(theme: str) -> dict:
    """themed_layout(), computed."""
    return styled(go.Figure(), theme).to_plotly_json()["layout"]


@lru_cache(maxsize=64)
def _empty_dict(message: str, theme: str) -> dict:
    """empty_dict(), computed."""
    return empty_figure(message, theme).to_plotly_json()
