"""Helpers for reading Dash component trees in tests."""

from __future__ import annotations

import time


def find(node, component_id):
    """The component with this id in a layout tree (or None)."""
    if getattr(node, "id", None) == component_id:
        return node
    children = getattr(node, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, (str, int, float)):
            hit = find(child, component_id)
            if hit is not None:
                return hit
    return None


def text_of(node) -> str:
    """All text inside a component tree."""
    if node is None:
        return ""
    if isinstance(node, (str, int, float)):
        return str(node)
    if isinstance(node, (list, tuple)):
        return " ".join(text_of(n) for n in node)
    return text_of(getattr(node, "children", None))


def wait_until(condition, timeout: float = 10, what: str = "condition"):
    """Poll until condition() is truthy (browser tests); its value (an element replaced by a redraw meanwhile: not
    yet)."""
    from selenium.common.exceptions import StaleElementReferenceException

    end = time.time() + timeout
    while time.time() < end:
        try:
            value = condition()
        except StaleElementReferenceException:
            value = None
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
