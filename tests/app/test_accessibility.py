"""Accessibility and layout in a real browser: axe-core's WCAG 2.0/2.1 A and AA rules on every page in both themes,
keyboard use of the Explore filters, and the layout at phone, tablet and desktop widths (device emulation).

Every page the app serves is listed once in PAGES; a new page is one more line there.
"""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.keys import Keys

from layouts import ids
from tests.browser_support.axe import describe, run_axe

# (path, CSS selector of what the page draws last). `{user}` and `{title}` are an example pair of the data.
PAGES = (
    ("/", f"#{ids.EXPLORE_TOP_TABLE} tbody tr"),
    ("/queries", f"#{ids.QUERIES_ACTOR_ANSWER} .queries-answer-text"),
    ("/recommend", f"#{ids.RECOMMEND_EMPTY} a"),
    ("/recommend?user={user}&title={title}", f"#{ids.RECOMMEND_RECS_TABLE} tbody tr"),
)


@pytest.fixture(scope="module")
def app():
    """The app over the demo data, its model ready (the Recommend results are checked too)."""
    from app import create_app
    from core.demo import ensure_demo_raw

    return create_app(ensure_demo_raw(), model="wait")


@pytest.fixture(scope="module")
def pages(data) -> list[str]:
    """PAGES' paths with an example user and title of the data filled in."""
    from layouts.recommend import examples

    user, title, _ = examples(data)[0]
    return [path.format(user=user, title=title) for path, _ in PAGES]


def wait_until(condition, timeout: float = 20, what: str = "condition"):
    """Poll until condition() is truthy; its value."""
    end = time.time() + timeout
    while time.time() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def open_page(dash_duo, path: str, ready: str) -> None:
    """Load a page and wait until it has drawn everything (its last part, no callback pending)."""
    dash_duo.driver.get(dash_duo.server_url + path)
    dash_duo.wait_for_element(ready, timeout=30)
    dash_duo.wait_for_no_elements("[data-dash-is-loading=true]", timeout=30)
    # assets/a11y.js names Dash's widgets on the next animation frame after a change
    wait_until(lambda: dash_duo.driver.execute_script(
        "return !document.querySelector('.dash-dropdown-focus-target:not([inert])')"), 5, "a11y.js")
    time.sleep(0.3)


@pytest.mark.browser
def test_axe_finds_no_wcag_violation_on_any_page_in_either_theme(dash_duo, app, pages):
    dash_duo.start_server(app)
    seen = []
    for theme in ("light", "dark"):
        if theme == "dark":
            dash_duo.find_element(f"#{ids.THEME_SWITCH}").click()  # remembered in the browser for every page
            dash_duo.wait_for_element("html[data-bs-theme='dark']", timeout=5)
        for path, (_, ready) in zip(pages, PAGES):
            open_page(dash_duo, path, ready)
            assert dash_duo.driver.execute_script("return document.documentElement.dataset.bsTheme") == theme
            assert dash_duo.driver.execute_script("return document.documentElement.lang") == "en"
            violations = run_axe(dash_duo.driver)
            assert not violations, describe(violations, f"{path} ({theme} theme)")
            seen.append((path, theme))
    assert len(seen) == 2 * len(PAGES)
    assert dash_duo.get_logs() == []
