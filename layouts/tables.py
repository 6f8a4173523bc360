"""Result tables for every panel: a readable Bootstrap table from a DataFrame and a 'Download CSV' button.

Usage in a panel (ids from `layouts/ids.py`):

    layout:    csv_download_button(ids.MY_CSV_BUTTON, ids.MY_CSV)
    callback:  @callback(Output(ids.MY_CSV, "data"), Input(ids.MY_CSV_BUTTON, "n_clicks"), ..., prevent_initial_call=True)
               def download(n_clicks, ...): return send_csv(frame, "my-results.csv")
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from core.text import title_case

TYPE_NAMES = {"movie": "Movie", "tv show": "TV show"}  # content types as a table cell shows them
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

def display_text(value: object) -> str:
    """Lower-case data text in title case for display ('kids' tv' -> "Kids' TV"); missing -> '—'."""
    return title_case(value, missing="—")


def title_href(title_id: object) -> str:
    """The address of a title's page: '/title?id=ns2544'."""
    return "/title?" + urlencode({"id": str(title_id)})


def title_link(title_id: object, title: object, class_name: str = "title-link") -> dcc.Link:
    """A title's name (title case) linking to its page."""
    return dcc.Link(display_text(title), href=title_href(title_id), className=class_name)


def csv_download_button(button_id: str, download_id: str, label: str = "Download CSV",
                        disabled: bool = False) -> html.Span:
    """A small outline button and its dcc.Download; a callback on the button's n_clicks fills the download."""
    return html.Span([
        dbc.Button([html.Span("⤓ ", **{"aria-hidden": "true"}), label], id=button_id, color="secondary",
                   outline=True, size="sm", disabled=disabled, title="Download this table as a CSV file"),
        dcc.Download(id=download_id),
    ], className="csv-download")


def scroll_region(region_id: str | None, name: str, class_name: str, children: object = None,
                  hidden: bool = False) -> html.Div:
    """A box that scrolls its content (a wide or long table) inside its card: a named region that keyboard users
    can focus and scroll with the arrow keys (WCAG 2.1.1; axe: scrollable-region-focusable)."""
    kwargs = {"id": region_id} if region_id else {}
    return html.Div(children, className=f"scroll-region {class_name}".strip(), tabIndex=0, role="region",
                    hidden=hidden, **{"aria-label": name}, **kwargs)


def chart_data_details(region_id: str | None, name: str, table: object = None) -> html.Details:
    """A chart's numbers behind a native 'Show as table' disclosure (keyboard and screen reader friendly as is),
    in a scroll region named `name`; a callback may fill the region by its id."""
    return html.Details([html.Summary("Show as table", className="chart-table-toggle"),
                         scroll_region(region_id, name, "chart-data", table)], className="chart-details")


def send_csv(frame: pd.DataFrame, filename: str) -> dict:
    """The dcc.Download payload of a DataFrame as UTF-8 CSV without the index, formula cells neutralised."""
    return dcc.send_data_frame(without_formulas(frame).to_csv, filename, index=False)


def without_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells a spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage return)
    prefixed with an apostrophe, as OWASP's CSV-injection guidance says; numbers stay numbers."""
    out = frame.copy()
    for name in out.columns:
        if pd.api.types.is_object_dtype(out[name]) or pd.api.types.is_string_dtype(out[name]):
            out[name] = out[name].map(lambda cell: f"'{cell}" if isinstance(cell, str) and cell[:1] in FORMULA_STARTS
                                      else cell)
    return out


def frame_table(frame: pd.DataFrame, columns: Mapping[str, str] | None = None,
                formats: Mapping[str, Callable[[object], str]] | None = None,
                numeric: tuple[str, ...] = (), table_id: str | None = None, responsive: bool = True) -> dbc.Table:
    """A compact striped table: `columns` maps frame columns to headers (and picks them), `formats` formats cells;
    responsive=False when a `scroll_region` around it scrolls it."""
    columns = dict(columns or {name: display_text(name.replace("_", " ")) for name in frame.columns})
    formats = dict(formats or {})
    header = html.Thead(html.Tr([html.Th(label, scope="col", className="text-end" if name in numeric else None)
                                 for name, label in columns.items()]))
    rows = []
    for record in frame[list(columns)].itertuples(index=False, name=None):
        cells = []
        for (name, _), value in zip(columns.items(), record):
            text = formats[name](value) if name in formats else display_text(value)
            cells.append(html.Td(text, className="text-end" if name in numeric else None))
        rows.append(html.Tr(cells))
    kwargs = {"id": table_id} if table_id else {}
    return dbc.Table([header, html.Tbody(rows)], striped=True, hover=True, size="sm", responsive=responsive,
                     className="mb-0 align-middle result-table", **kwargs)


MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")  # what Markdown would read as markup inside a table cell


def markdown_text(value: object) -> str:
    """Text shown as is by Markdown: its markup characters escaped."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", str(value))


def rows_table(headers: list[str], rows: list[list[str]], caption: str | None = None,
               text_columns: int = 1) -> dcc.Markdown:
    """A chart's numbers as a table: the first `text_columns` columns are text, the others numbers (right-aligned);
    `caption` (shown above it) says what the table holds.

    One Markdown component rather than an html.Td per cell: Dash draws each of its components separately, which
    takes seconds for a 2,000-cell table (the rating activity per month); Markdown draws it at once.
    """
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(markdown_text(cell) for cell in cells) + " |"

    rule = "|" + "|".join(":---" if i < text_columns else "---:" for i in range(len(headers))) + "|"
    lines = [line(headers), rule, *(line(row) for row in rows)]
    return dcc.Markdown("\n".join(([markdown_text(caption), ""] if caption else []) + lines), className="data-table")
