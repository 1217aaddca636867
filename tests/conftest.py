"""Fixtures every test folder uses."""

import json

import pytest

from tests.support.google_server import GoogleServer


@pytest.fixture
def google(tmp_path):
    """The Sheets/Forms-API-compatible server on loopback, with a service-account key file for it."""
    with GoogleServer() as server:
        key = tmp_path / "service-account.json"
        key.write_text(json.dumps(server.service_account_info()))
        server.key_file = key
        yield server
