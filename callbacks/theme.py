"""Light/dark theme: Bootstrap 5.3 colour modes, remembered in the browser."""

from dash import Input, Output, State, clientside_callback

from layouts import ids

# Runs in the browser: no server round trip, and the remembered choice applies before charts draw.
clientside_callback(
    """
    function(dark, stored) {
        const ctx = window.dash_clientside.callback_context;
        const fromUser = ctx.triggered.length && ctx.triggered[0].prop_id.startsWith('%(switch)s');
        const isDark = fromUser ? Boolean(dark) : stored === 'dark';
        document.documentElement.setAttribute('data-bs-theme', isDark ? 'dark' : 'light');
        return [isDark ? 'dark' : 'light', isDark];
    }
    """ % {"switch": ids.THEME_SWITCH},
    Output(ids.THEME_STORE, "data"),
    Output(ids.THEME_SWITCH, "value"),
    Input(ids.THEME_SWITCH, "value"),
    State(ids.THEME_STORE, "data"),
)
