"""Locust users for `python -m benchmarks.load`: a mix of JSON query routes and Dash callback requests.

The request plan (paths and callback bodies, built from the running app by benchmarks/load.py) comes from the JSON
file named by $BENCH_LOAD_PLAN. Each request is counted under its endpoint group:
- ``json valid``: GET of a JSON query route with valid random parameters (200, or 404 when nothing matches);
- ``json invalid``: GET with a bad parameter, which must answer 400 with {"error": ...};
- ``dash explore`` / ``dash query`` / ``dash recommend``: POST /_dash-update-component for the Explore panel's
  charts callback (all ten charts and the headline cards) / a queries-panel / a recommendation callback.
Anything else (another status, a 5xx, a connection error, a Dash body without "response") counts as an error.
Think time between requests of one user: uniform in [$BENCH_WAIT_MIN, $BENCH_WAIT_MAX] seconds.
"""

from __future__ import annotations

import json
import os
import random

from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

with open(os.environ["BENCH_LOAD_PLAN"], encoding="utf-8") as handle:
    PLAN = json.load(handle)
WAIT = (float(os.environ.get("BENCH_WAIT_MIN", "1")), float(os.environ.get("BENCH_WAIT_MAX", "3")))
WEIGHTS = PLAN["weights"]


class DashboardUser(FastHttpUser):
    """One client: mostly JSON queries, with Dash callbacks as a browser on the dashboard sends them."""

    wait_time = between(*WAIT)
    connection_timeout = 30.0
    network_timeout = 30.0

    @task(WEIGHTS["json valid"])
    def json_valid(self) -> None:
        with self.client.get(random.choice(PLAN["json_valid"]), name="json valid", catch_response=True) as response:
            if response.status_code not in (200, 404) or "json" not in (response.headers.get("content-type") or ""):
                response.failure(f"status {response.status_code}")
            elif response.status_code == 404:
                response.success()  # a well-formed question with no answer is a correct 404

    @task(WEIGHTS["json invalid"])
    def json_invalid(self) -> None:
        with self.client.get(random.choice(PLAN["json_invalid"]), name="json invalid",
                             catch_response=True) as response:
            body = _json(response)
            if response.status_code == 400 and isinstance(body, dict) and body.get("error"):
                response.success()
            else:
                response.failure(f"expected 400 with an error message, got {response.status_code}")

    @task(WEIGHTS["dash explore"])
    def dash_explore(self) -> None:
        self._callback("dash explore", PLAN["callbacks"]["explore"])

    @task(WEIGHTS["dash query"])
    def dash_query(self) -> None:
        self._callback("dash query", PLAN["callbacks"]["query"])

    @task(WEIGHTS["dash recommend"])
    def dash_recommend(self) -> None:
        self._callback("dash recommend", PLAN["callbacks"]["recommend"])

    def _callback(self, name: str, bodies: list[dict]) -> None:
        if not bodies:
            return
        with self.client.post("/_dash-update-component", json=random.choice(bodies), name=name,
                              catch_response=True) as response:
            body = _json(response)
            if response.status_code == 204:
                response.success()  # PreventUpdate: the callback chose not to update
            elif response.status_code != 200 or not isinstance(body, dict) or "response" not in body:
                response.failure(f"status {response.status_code}")


def _json(response):
    """The response body as JSON, or None."""
    try:
        return json.loads(response.text or "null")
    except (TypeError, ValueError):
        return None
