"""axe-core (vendored `axe.min.js`, MPL-2.0, see LICENSE here) run in a Selenium page: WCAG 2.0/2.1 A and AA rules.

Usage in a browser test:

    violations = run_axe(dash_duo.driver)
    assert not violations, describe(violations, "/queries, dark")
"""

from __future__ import annotations

from pathlib import Path

AXE_JS = Path(__file__).with_name("axe.min.js")
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
NODES_SHOWN = 5  # per violation in a failure message: enough to find the culprit, short enough to read

# Returns what the async callback gets: the violations, or {"error": ...} when axe itself fails.
_RUN = """
const done = arguments[arguments.length - 1];
const context = arguments[1] ? {include: arguments[1].map(selector => [selector])} : document;
axe.run(context, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})
   .then(result => done(result.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary || '',
                                  html: n.html.slice(0, 200)}))}))))
   .catch(error => done({error: String(error)}));
"""


def inject_axe(driver) -> None:
    """Load axe-core into the current page (once per page load)."""
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(AXE_JS.read_text(encoding="utf-8"))


def run_axe(driver, tags: tuple[str, ...] = WCAG_TAGS, within: list[str] | None = None,
            timeout_s: float = 180) -> list[dict]:
    """The axe-core violations of the current page for the given rule tags (default: WCAG 2.0/2.1 A and AA), of
    the whole page or only of the parts the CSS selectors `within` name."""
    inject_axe(driver)
    driver.set_script_timeout(timeout_s)
    result = driver.execute_async_script(_RUN, list(tags), list(within) if within else None)
    if isinstance(result, dict):
        raise RuntimeError(f"axe-core failed: {result.get('error')}")
    return result


def describe(violations: list[dict], where: str) -> str:
    """A readable assertion message: each rule with its impact, help text and the first few offending nodes."""
    lines = [f"{len(violations)} axe-core violation(s) on {where}:"]
    for violation in violations:
        nodes = violation["nodes"]
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} — {len(nodes)} node(s)")
        for node in nodes[:NODES_SHOWN]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    {node['target']}: {summary[:300]}")
            lines.append(f"      {node['html']}")
        if len(nodes) > NODES_SHOWN:
            lines.append(f"    … and {len(nodes) - NODES_SHOWN} more")
    return "\n".join(lines)
