"""Every component id of the app, in one place, so layouts, callbacks and tests agree."""

# Page frame
URL = "url"
THEME_SWITCH = "theme-switch"
THEME_STORE = "theme-store"
TABS = "tabs"
TAB_CONTENT = "tab-content"
DATA_SOURCE = "data-source"
