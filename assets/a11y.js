/* Accessible names and focus order for Dash 4's own widgets, which take no aria props from Python.
 *
 * - Sliders: the number boxes and thumbs of a dcc.Slider / dcc.RangeSlider are named after the <label for=...>
 *   of the slider ("Release years, from" / "Release years, to"), and the slider is a group labelled by it.
 * - Dropdowns: Dash 4 puts the keyboard stop on a hidden `aria-hidden` input that forwards focus to the real
 *   button (a focusable element hidden from screen readers). The input is made inert and the button, named by
 *   its label and its value, takes the keyboard stop instead.
 *
 * Runs on every change of the page (panels render after load and on navigation); each fix is idempotent.
 */
(function () {
  "use strict";

  function setAttr(element, name, value) {
    if (element && element.getAttribute(name) !== value) {
      element.setAttribute(name, value);
    }
  }

  function labelFor(id) {
    if (!id) {
      return null;
    }
    const label = document.querySelector('label[for="' + CSS.escape(id) + '"]');
    if (label && !label.id) {
      label.id = id + "-label";
    }
    return label;
  }

  function nameSliders() {
    document.querySelectorAll(".dash-slider-container[id]").forEach(function (slider) {
      const label = labelFor(slider.id);
      if (!label) {
        return;
      }
      const name = label.textContent.trim();
      setAttr(slider, "role", "group");
      setAttr(slider, "aria-labelledby", label.id);
      const thumbs = slider.querySelectorAll('[role="slider"]');
      const range = thumbs.length > 1;
      thumbs.forEach(function (thumb, index) {
        setAttr(thumb, "aria-label", range ? name + (index === 0 ? ", from" : ", to") : name);
      });
      const low = slider.querySelector(".dash-range-slider-min-input");
      const high = slider.querySelector(".dash-range-slider-max-input");
      if (low) {
        setAttr(low, "aria-label", name + ", from");
      }
      if (high) {
        setAttr(high, "aria-label", range || low ? name + ", to" : name);
      }
    });
  }

  function fixDropdowns() {
    document.querySelectorAll(".dash-dropdown-wrapper > .dash-dropdown-focus-target").forEach(function (proxy) {
      const button = proxy.nextElementSibling;
      if (!button || !button.classList.contains("dash-dropdown")) {
        return;
      }
      if (!proxy.inert) {
        proxy.inert = true;
      }
      if (!button.disabled) {
        setAttr(button, "tabindex", "0");
      }
      const label = labelFor(button.id);
      const named = button.getAttribute("aria-labelledby") || "";
      if (label && named.split(" ")[0] !== label.id) {
        setAttr(button, "aria-labelledby", (label.id + " " + named).trim());
      }
    });
  }

  let scheduled = false;

  function fixAll() {
    scheduled = false;
    nameSliders();
    fixDropdowns();
  }

  function schedule() {
    if (!scheduled) {
      scheduled = true;
      window.requestAnimationFrame(fixAll);
    }
  }

  function start() {
    new MutationObserver(schedule).observe(document.body, {childList: true, subtree: true});
    schedule();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
