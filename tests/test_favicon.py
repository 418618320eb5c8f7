"""Browsers ask every site for /favicon.ico: it is there, so no page logs a 404."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_site_has_a_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO header
    page = client.get("/explore/").content.decode()
    assert 'rel="icon" href="/favicon.ico"' in page
    assert 'type="image/svg+xml"' in page
