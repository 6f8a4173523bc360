"""Fixtures of the app tests: the app over the default data and the catalog it serves."""

import pytest


@pytest.fixture(scope="module")
def app():
    """The app over the default data (real data when $STREAMING_DATA_DIR is set, else the demo data); its model
    is prepared only if a test asks for a recommendation (as in a gunicorn worker), not fitted behind every test."""
    from app import create_app

    return create_app(model="deferred")


@pytest.fixture(scope="module")
def data(app):
    """The catalog the app serves (from the test module's own `app` fixture where it has one)."""
    return app.server.extensions["streaming"]["catalog"]
