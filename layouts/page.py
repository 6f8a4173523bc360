"""The page frame: navigation bar, theme switch, data-source badge and the page container."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from core import Catalog
from layouts import explore, ids, queries, recommend, title

# Dash's page template with the page's language declared (screen readers pick their voice from it; WCAG 3.1.1).
INDEX_STRING = """<!DOCTYPE html>
<html lang="en">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>"""

PAGES = (
    # (module name, path, navigation label, layout module)
    ("explore", "/", "Explore", explore),
    ("queries", "/queries", "Queries", queries),
    ("recommend", "/recommend", "Recommend", recommend),
)


def register_pages(catalog: Catalog) -> None:
    """Register each panel as a Dash page; its layout receives the URL's query parameters."""
    for order, (name, path, label, module) in enumerate(PAGES):
        dash.register_page(name, path=path, name=label, order=order, title=f"{label} · Streaming Atlas",
                           layout=module.layout)
    # One title (/title?id=ns2544): reached from links and the search box, not from the navigation links.
    dash.register_page("title", path="/title", name="Title", order=len(PAGES), title=title.page_title,
                       layout=title.layout)


def data_badge(catalog: Catalog) -> dbc.Badge:
    """Which data the app shows: the demo set or a real data dir."""
    n_titles = f"{len(catalog.titles):,} titles"
    if catalog.is_demo:
        return dbc.Badge(f"Demo data · {n_titles}", color="warning", text_color="dark", id=ids.DATA_SOURCE,
                         title="Generated demo data; start with --data-dir or STREAMING_DATA_DIR for real data")
    # A label, not the data dir's path: the server's folders are nobody's business.
    ratings = int(catalog.users["n_ratings"].sum())
    return dbc.Badge(f"Real data · {n_titles}", color="success", id=ids.DATA_SOURCE,
                     title=f"The four catalogues: {n_titles}, {ratings:,} ratings by {len(catalog.users):,} users")


def navbar(catalog: Catalog) -> dbc.Navbar:
    """Brand, page links, data badge and the light/dark switch."""
    links = [dbc.NavItem(dbc.NavLink(label, href=path, active="exact")) for _, path, label, _ in PAGES]
    return dbc.Navbar(dbc.Container([
        dbc.NavbarBrand("Streaming Atlas", href="/", className="fw-semibold"),
        dbc.Nav(links, pills=True, className="flex-nowrap"),
        html.Div(title.search_box(), className="me-auto nav-search-slot"),
        html.Div([data_badge(catalog),
                  dbc.Switch(id=ids.THEME_SWITCH, label="Dark", value=False, className="mb-0 ms-3")],
                 className="d-flex align-items-center"),
    ], fluid=True, className="flex-wrap gap-2"), expand=True, className="mb-3 border-bottom app-navbar")


def frame(catalog: Catalog) -> html.Div:
    """The whole page around the current panel."""
    return html.Div([
        dcc.Location(id=ids.URL, refresh=False),
        dcc.Store(id=ids.THEME_STORE, storage_type="local"),
        navbar(catalog),
        dbc.Container(dash.page_container, fluid=True, className="pb-4"),
    ])
