"""Every component id of the app, in one place, so layouts, callbacks and tests agree.

Each panel owns one section below; add ids only to your panel's section.
"""

# ---- page frame
URL = "url"
THEME_SWITCH = "theme-switch"
THEME_STORE = "theme-store"
DATA_SOURCE = "data-source"

# ---- explore panel

# ---- queries panel

# ---- recommend panel
