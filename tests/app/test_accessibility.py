"""Accessibility and layout in a real browser: axe-core's WCAG 2.0/2.1 A and AA rules on every page in both themes,
keyboard use of the Explore filters, and the layout at phone, tablet and desktop widths (device emulation).

Every page the app serves is listed once in PAGES; a new page is one more line there.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from layouts import ids
from tests.app.components import wait_until
from tests.browser_support.axe import describe, run_axe

# (path, CSS selector of what the page draws last). `{user}` and `{title}` are an example pair of the data.
PAGES = (
    ("/", f"#{ids.EXPLORE_TOP_TABLE} tbody tr"),
    ("/queries", f"#{ids.QUERIES_ACTOR_ANSWER} .queries-answer-text"),
    ("/recommend", f"#{ids.RECOMMEND_EMPTY} a"),
    ("/recommend?user={user}&title={title}", f"#{ids.RECOMMEND_RECS_TABLE} tbody tr"),
    ("/title?id={title}", f"#{ids.TITLE_SIMILAR} a"),
    ("/title?id=zz0", f"#{ids.TITLE_NOT_FOUND}"),
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


# ---------------------------------------------------------------------------------------------- keyboard
FOCUSED = """const e = document.activeElement;
const label = e.labels && e.labels.length ? e.labels[0].textContent : '';
return {id: e.id, name: (e.getAttribute('aria-label') || label || e.textContent || '').trim(),
        role: e.getAttribute('role') || e.tagName.toLowerCase(), type: e.type || ''};"""


def tab_to(dash_duo, matches, limit: int = 60, back: bool = False) -> list[dict]:
    """Press Tab (Shift+Tab with back) until the focused element matches; the elements focused on the way."""
    seen = []
    for _ in range(limit):
        keys = (Keys.SHIFT, Keys.TAB) if back else (Keys.TAB,)
        ActionChains(dash_duo.driver).send_keys(*keys).perform() if not back else \
            ActionChains(dash_duo.driver).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
        seen.append(dash_duo.driver.execute_script(FOCUSED))
        if matches(seen[-1]):
            return seen
    raise AssertionError(f"never focused the element after {limit} tabs: {[f['name'] for f in seen]}")


def query_of(dash_duo) -> dict[str, list[str]]:
    """The page URL's query parameters."""
    return parse_qs(urlparse(dash_duo.driver.current_url).query)


@pytest.mark.browser
def test_keyboard_alone_drives_the_explore_filters_and_reaches_a_chart_table(dash_duo, app, data):
    from core.eda import year_bounds

    low, high = year_bounds(data.titles)
    dash_duo.start_server(app)
    open_page(dash_duo, *PAGES[0])
    # assets/a11y.js names the slider's number boxes and thumbs once Dash has drawn them: wait for it (a busy
    # machine draws late)
    wait_until(lambda: len(dash_duo.find_elements("[aria-label='Release years, from']")) >= 2, 20, "slider names")
    # every filter is a named tab stop, in reading order
    seen = tab_to(dash_duo, lambda f: f["id"] == ids.EXPLORE_RESET)
    names = [f["name"] for f in seen]
    order = ["Explore", "Queries", "Recommend", "Dark", "Amazon Prime", "Disney+", "Hulu", "Netflix", "All", "Movies",
             "TV shows", "Release years, from", "Release years, to",  # the number boxes
             "Release years, from", "Release years, to", "Reset"]  # the slider's thumbs
    assert [name for name in names if name in order] == order, names
    assert all(f["name"] for f in seen), seen  # nothing unnamed on the way
    assert sum(f["role"] == "slider" for f in seen) == 2

    # Space toggles a platform: the URL and the headline follow
    tab_to(dash_duo, lambda f: f["name"] == "Hulu", back=True)
    ActionChains(dash_duo.driver).send_keys(Keys.SPACE).perform()
    wait_until(lambda: "platforms" in query_of(dash_duo), 10, "platforms in the URL")
    assert query_of(dash_duo)["platforms"] == ["amazon,disney,netflix"]
    # arrow keys move the slider's first thumb: one year later per press
    tab_to(dash_duo, lambda f: f["role"] == "slider")
    for _ in range(3):
        ActionChains(dash_duo.driver).send_keys(Keys.ARROW_RIGHT).perform()
    wait_until(lambda: query_of(dash_duo).get("years") == [f"{low + 3}-{high}"], 10, "years in the URL")
    dash_duo.wait_for_no_elements("[data-dash-is-loading=true]", timeout=20)

    # a chart's data table: reached with Tab, opened with Enter, its scroll region focusable too
    toggle = ids.EXPLORE_CHART_TABLE_TOGGLES[ids.EXPLORE_CHART_TYPES]
    tab_to(dash_duo, lambda f: f["id"] == toggle, limit=120)
    ActionChains(dash_duo.driver).send_keys(Keys.ENTER).perform()
    table = f"#{ids.EXPLORE_CHART_TABLES[ids.EXPLORE_CHART_TYPES]}"
    dash_duo.wait_for_element(f"{table} tbody tr", timeout=10)
    assert dash_duo.find_element(f"#{toggle}").get_attribute("aria-expanded") == "true"
    rows = [row.text for row in dash_duo.find_elements(f"{table} tbody tr")]
    assert [row.split(" ")[0] for row in rows] == ["Amazon", "Disney+", "Netflix"]  # Hulu is filtered out
    focused = tab_to(dash_duo, lambda f: f["role"] == "region", limit=2)
    assert focused[-1]["id"] == ids.EXPLORE_CHART_TABLES[ids.EXPLORE_CHART_TYPES]
    assert dash_duo.get_logs() == []


# ---------------------------------------------------------------------------------------------- layout
# name: (width, height, touch device?). Headless Chromium's --window-size cannot go below 500 px: the phone (and every
# width, so each is exact) is Chrome's device emulation.
VIEWPORTS = {"phone": (390, 844, True), "tablet": (768, 1024, True), "desktop": (1440, 900, False)}

# What is wrong with the layout of the current page, as sentences (none: it fits).
LAYOUT_PROBLEMS = """
const problems = [], width = document.documentElement.clientWidth, root = document.scrollingElement;
const box = e => e.getBoundingClientRect();
const shown = e => { const r = box(e); return r.width > 0 && r.height > 0; };
const overlap = (a, b) => Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left))
                        * Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));
const name = e => e.id || (e.closest('[id]') || {}).id || e.className.toString().slice(0, 40);
if (root.scrollWidth > root.clientWidth) problems.push(`the page scrolls sideways (${root.scrollWidth} > ${root.clientWidth} px)`);
document.querySelectorAll('.js-plotly-plot').forEach(plot => {
  if (!shown(plot)) return;
  const r = box(plot), card = plot.closest('.card'), c = card && box(card);
  if (r.left < 0 || r.right > width + 0.5) problems.push(`chart ${name(plot)} leaves the viewport (${r.left}-${r.right} of ${width})`);
  if (c && (r.left < c.left - 0.5 || r.right > c.right + 0.5)) problems.push(`chart ${name(plot)} leaves its card`);
  const svg = plot.querySelector('.main-svg');
  if (svg && box(svg).width > r.width + 0.5) problems.push(`chart ${name(plot)} is drawn wider than its box`);
  const area = plot.querySelector('.nsewdrag'), legend = plot.querySelector('.legend');
  if (area && legend && overlap(box(area), box(legend)) > 0) problems.push(`the legend of ${name(plot)} covers the plot`);
  const modebar = plot.querySelector('.modebar');
  if (modebar && legend && shown(modebar) && overlap(box(modebar), box(legend)) > 0)
    problems.push(`the mode bar of ${name(plot)} covers its legend`);
});
document.querySelectorAll('.kpi-value').forEach(number => {
  const lines = document.createRange(); lines.selectNodeContents(number);
  if (lines.getClientRects().length > 1) problems.push(`the number ${number.textContent} breaks over lines`);
  if (number.scrollWidth > number.clientWidth) problems.push(`the number ${number.textContent} overflows its card`);
});
document.querySelectorAll('.card').forEach(card => {
  if (shown(card) && card.scrollWidth > card.clientWidth + 0.5) problems.push(`card ${name(card)} overflows sideways`);
});
return problems;
"""


def emulate(driver, width: int, height: int, touch: bool) -> None:
    """Make the browser a device of this size (Chrome's device emulation)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                                                                  "deviceScaleFactor": 1, "mobile": touch})
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": touch})


def open_every_chart_table(dash_duo) -> None:
    """Press every Explore chart's 'Show as table' and wait for the tables."""
    for toggle in dash_duo.find_elements(".chart-table-toggle"):
        dash_duo.driver.execute_script("arguments[0].click()", toggle)
    wait_until(lambda: len(dash_duo.find_elements(".chart-data table")) == len(ids.EXPLORE_CHARTS), 30, "tables")
    dash_duo.wait_for_no_elements("[data-dash-is-loading=true]", timeout=30)


@pytest.mark.browser
def test_every_page_fits_a_phone_a_tablet_and_a_desktop(dash_duo, app, pages):
    dash_duo.start_server(app)
    checked = []
    for device, (width, height, touch) in VIEWPORTS.items():
        emulate(dash_duo.driver, width, height, touch)
        for path, (_, ready) in zip(pages, PAGES):
            open_page(dash_duo, path, ready)
            assert dash_duo.driver.execute_script("return window.innerWidth") == width
            if device == "phone":  # what only a narrow screen shows (tables that scroll) must pass axe as well
                violations = run_axe(dash_duo.driver)
                assert not violations, describe(violations, f"{path} at {width} px")
            if path == "/":  # every chart's table open too: wide tables scroll inside their card
                open_every_chart_table(dash_duo)
                if device == "phone":  # axe on a few (on all: ~2,500 cells, slow on a busy machine)
                    few = [f"#{ids.EXPLORE_CHART_TABLES[c]}" for c in (ids.EXPLORE_CHART_TYPES, ids.EXPLORE_CHART_GENRES)]
                    violations = run_axe(dash_duo.driver, within=few)
                    assert not violations, describe(violations, f"the open chart tables at {width} px")
            charts = len(dash_duo.find_elements(".js-plotly-plot"))
            assert charts >= (len(ids.EXPLORE_CHARTS) if path == "/" else 0)
            problems = dash_duo.driver.execute_script(LAYOUT_PROBLEMS)
            assert not problems, f"{path} on a {device} ({width} px): " + "; ".join(problems)
            checked.append((device, path, charts))
    assert len(checked) == len(VIEWPORTS) * len(PAGES)
    assert dash_duo.get_logs() == []
