"""The app starts, serves its frame and pages, and a browser sees no console errors."""

from __future__ import annotations

import urllib.request

import pytest

from app import main
from layouts import ids
from layouts.figures import PLATFORM_COLORS, contrast, readable_on


def component_ids(node) -> set[str]:
    """Every component id in a serialised Dash layout."""
    found = set()
    if isinstance(node, dict):
        props = node.get("props", {})
        if isinstance(props.get("id"), str):
            found.add(props["id"])
        for value in props.values():
            found |= component_ids(value)
    elif isinstance(node, list):
        for item in node:
            found |= component_ids(item)
    return found


def test_layout_has_frame_components(app):
    client = app.server.test_client()
    response = client.get("/_dash-layout")
    assert response.status_code == 200
    assert {ids.URL, ids.THEME_SWITCH, ids.THEME_STORE, ids.DATA_SOURCE} <= component_ids(response.get_json())


def test_every_page_is_served(app):
    client = app.server.test_client()
    for path in ("/", "/queries", "/recommend"):
        response = client.get(path)
        assert response.status_code == 200
        assert b"Streaming Atlas" in response.data


def test_pages_declare_their_language_and_load_the_accessibility_fixes(app):
    html = app.server.test_client().get("/queries").data.decode()
    assert html.startswith("<!DOCTYPE html>\n<html lang=\"en\">") and "/assets/a11y.js" in html


def test_text_on_platform_colours_reaches_aa_contrast():
    assert round(contrast("#ffffff", "#000000"), 2) == 21.0 and contrast("#777777", "#777777") == 1.0
    for platform, background in PLATFORM_COLORS.items():
        assert contrast(readable_on(background), background) >= 4.5, platform
    assert readable_on(PLATFORM_COLORS["hulu"]) != "#ffffff"  # white on Hulu's green is 1.6:1


def test_no_stylesheet_from_a_cdn(app):
    html = app.server.test_client().get("/").data.decode()
    assert "bootstrap.min.css" in html
    assert "cdn." not in html and "https://" not in html


def test_cli_rejects_a_missing_data_dir(tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path / "nowhere")]) == 2
    assert "data folder not found" in capsys.readouterr().err


@pytest.mark.browser
def test_browser_loads_app_without_console_errors(dash_duo, app):
    dash_duo.start_server(app)
    dash_duo.wait_for_text_to_equal(".navbar-brand", "Streaming Atlas", timeout=10)
    dash_duo.wait_for_element(f"#{ids.DATA_SOURCE}")
    assert "titles" in dash_duo.find_element(f"#{ids.DATA_SOURCE}").text
    dash_duo.find_element(f"#{ids.THEME_SWITCH}").click()
    dash_duo.wait_for_element("html[data-bs-theme='dark']", timeout=5)
    dash_duo.wait_for_no_elements("[data-dash-is-loading=true]", timeout=20)  # the charts redrawn in dark
    assert dash_duo.get_logs() == []  # CSP violations would be console errors here
    # ...and the page ran under the CSP: an inline script the policy does not list is refused.
    with urllib.request.urlopen(dash_duo.server_url) as response:
        assert "script-src 'self' 'sha256-" in response.headers["Content-Security-Policy"]
    dash_duo.driver.execute_script(
        "const s = document.createElement('script'); s.textContent = 'window.injected = 1';"
        "document.head.appendChild(s);")
    assert dash_duo.driver.execute_script("return window.injected === undefined")
