"""The app starts, serves its frame and pages, and a browser sees no console errors."""

from __future__ import annotations

import json
import shutil
import urllib.request
from dataclasses import fields

import pytest
from plotly.utils import PlotlyJSONEncoder

from api import ROUTES
from app import create_app, main
from callbacks.explore import explore_view
from callbacks.recommend import results_view
from core import title_ratings
from core.config import processed_dir_for
from core.recommender import model_path
from layouts import ids
from layouts.figures import PLATFORM_COLORS, contrast, readable_on
from tests.conftest import listing, read_only_copy

DATA_VARIABLES = ("STREAMING_DATA_DIR", "STREAMING_PROCESSED_DIR")


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


# ---------------------------------------------------------------------------------------------- a build's folder
@pytest.fixture(scope="module")
def served(demo_build, tmp_path_factory):
    """(app over a read-only copy of the demo build's output, app over the same raw dir with that build copied
    where it looks, the read-only copy, its listing before either app started)."""
    root = tmp_path_factory.mktemp("served")
    folder = read_only_copy(demo_build.out, root / "served")
    before = listing(folder)
    with pytest.MonkeyPatch.context() as patch:
        for name in DATA_VARIABLES:
            patch.delenv(name, raising=False)
        patch.setenv("STREAMING_CACHE_DIR", str(root / "cache"))
        shutil.copytree(demo_build.out, processed_dir_for(demo_build.raw), symlinks=True)
        yield (create_app(processed_dir=folder, model="wait"), create_app(demo_build.raw, model="wait"), folder,
               before)


def without_badge(node):
    """A serialised layout with the data badge left out (a demo build's folder says "Demo data", the demo raw dir
    given as a path "Real data")."""
    if isinstance(node, list):
        return [without_badge(item) for item in node if not is_badge(item)]
    if isinstance(node, dict):
        return {key: without_badge(value) for key, value in node.items()}
    return node


def is_badge(node) -> bool:
    return isinstance(node, dict) and node.get("props", {}).get("id") == ids.DATA_SOURCE


def as_json(view) -> str:
    return json.dumps([getattr(view, field.name) for field in fields(view)], cls=PlotlyJSONEncoder, sort_keys=True)


def test_a_served_build_answers_like_the_app_on_its_raw_dir_and_writes_nothing(served):
    served_app, raw_app, folder, before = served
    clients = served_app.server.test_client(), raw_app.server.test_client()
    title = clients[0].get("/api/longest_titles?n=1").get_json()["titles"][0]["id"]
    urls = [example for route in ROUTES for example in (route.example, route.path_example) if example]
    urls += [f"/api/recommend?user=1&title={title}&k=8", f"/api/similar?title={title}", f"/api/title?id={title}",
             f"/api/predict?user=7&title={title}"]
    for url in urls:
        served_answer, raw_answer = (client.get(url) for client in clients)
        assert served_answer.status_code == raw_answer.status_code, url
        assert served_answer.get_json() == raw_answer.get_json() or url in ("/api/health", "/api/ready"), url
    health = [client.get("/api/health").get_json() for client in clients]
    assert health[0] == {**health[1], "data_from": "processed", "source": "demo"} and health[0]["model"] == "ready"
    assert health[1]["data_from"] == "raw"
    layouts = [without_badge(client.get("/_dash-layout").get_json()) for client in clients]
    assert layouts[0] == layouts[1]
    catalogs = [app.server.extensions["streaming"]["catalog"] for app in (served_app, raw_app)]
    for filters in ((["netflix", "hulu"], "movie", [2000, 2015]), (None, "all", None)):
        assert as_json(explore_view(catalogs[0], *filters, None)) == as_json(explore_view(catalogs[1], *filters, None))
    for path in ("/", "/queries", "/recommend", f"/title?id={title}"):
        assert clients[0].get(path).status_code == 200
    served_work = catalogs[0].write_dir
    assert not list(served_work.iterdir())  # its own model and ratings per title were loaded
    assert listing(folder) == before


@pytest.fixture()
def stripped(demo_build, tmp_path, monkeypatch):
    """A read-only copy of the demo build's output without its model and ratings per title."""
    for name in DATA_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    copy = shutil.copytree(demo_build.out, tmp_path / "copy", symlinks=True)
    for name in (model_path(copy / "current").name, title_ratings.FILE_NAME):
        (copy / "current" / name).unlink()
    return read_only_copy(copy, tmp_path / "stripped")


def test_a_served_build_without_a_model_fits_it_into_the_cache_dir(stripped, tmp_path, monkeypatch):
    monkeypatch.setenv("STREAMING_CACHE_DIR", str(tmp_path / "cache"))
    before = listing(stripped)
    app = create_app(processed_dir=stripped, model="wait")
    client = app.server.test_client()
    assert client.get("/api/recommend?user=1&title=ns1&k=3").status_code in (200, 404)
    assert client.get("/api/health").get_json()["status"] == "ok"
    work = app.server.extensions["streaming"]["catalog"].write_dir
    assert work.parent == tmp_path / "cache" and model_path(work).is_file()
    assert listing(stripped) == before


def test_a_served_build_without_a_model_and_no_writable_cache_says_the_model_is_missing(stripped, tmp_path,
                                                                                         monkeypatch):
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("STREAMING_CACHE_DIR", str(tmp_path / "file" / "cache"))  # cannot be created
    before = listing(stripped)
    app = create_app(processed_dir=stripped)
    client = app.server.test_client()
    health = client.get("/api/health").get_json()
    assert health["status"] == "degraded" and health["model"] == "missing" and "python -m core.build" in health["error"]
    answer = client.get("/api/recommend?user=1&title=ns1")
    assert answer.status_code == 503 and answer.get_json()["error"].startswith("The recommender model is missing")
    assert client.get("/api/ready").status_code == 503 and client.get("/api/ranges").status_code == 200
    state = app.server.extensions["streaming"]
    view = results_view(state["catalog"], state["model"].get, 1, "ns1", 5, None)
    assert view.poll_disabled and view.results_hidden
    assert "model is missing" in json.dumps(view.alert, cls=PlotlyJSONEncoder)
    assert state["model"].status()["model"] == "missing"  # nothing started a fit
    assert listing(stripped) == before


def test_cli_processed_dir_errors_are_one_line_and_exit_2(demo_build, tmp_path, monkeypatch, capsys):
    for name in DATA_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    cases = {("--processed-dir", str(tmp_path / "nowhere")): "processed folder not found",
             ("--processed-dir", str(tmp_path)): "not a processed folder",
             ("--processed-dir", str(demo_build.raw)): "a raw data dir, not a processed folder",
             ("--processed-dir", str(demo_build.out), "--data-dir", str(demo_build.raw)):
                 "--data-dir and --processed-dir were both given"}
    for argv, message in cases.items():
        assert main(list(argv)) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and "Traceback" not in err, err
    monkeypatch.setenv("STREAMING_PROCESSED_DIR", str(demo_build.out))
    monkeypatch.setenv("STREAMING_DATA_DIR", str(demo_build.raw))
    assert main([]) == 2
    assert "STREAMING_PROCESSED_DIR and STREAMING_DATA_DIR are both set" in capsys.readouterr().err


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
