"""Dash layouts: functions that only build components (no callbacks, no data logic)."""
