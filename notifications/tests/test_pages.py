"""The framework's pages sit in the site's own layout when it has a base.html, in
a standalone layout of the framework's otherwise, and a project can override
notifications/base.html to choose for itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from notifications.tokens import unsubscribe_url

pytestmark = pytest.mark.django_db

SITE_BASE = """<!doctype html>
<html><head><title>{% block title %}{% endblock %} · The Site</title></head>
<body class="the-site"><nav>Site navigation</nav>{% block content %}{% endblock %}</body></html>
"""


@pytest.fixture
def templates_dir(settings, tmp_path: Path) -> Path:
    """A project template directory, searched before the apps' templates."""
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    return tmp_path


def unsubscribe_page(client, user) -> str:  # type: ignore[no-untyped-def]
    url = unsubscribe_url(user_id=user.pk, category="waves").removeprefix("http://testserver")
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_without_a_site_layout_the_pages_stand_alone(client, alice):
    page = unsubscribe_page(client, alice)

    assert '<body class="notifications-standalone">' in page
    assert "/static/notifications/pages.css" in page
    assert "<title>Unsubscribe</title>" in page


def test_the_sites_base_html_is_the_layout_of_the_pages(templates_dir, client, alice):
    (templates_dir / "base.html").write_text(SITE_BASE)

    page = unsubscribe_page(client, alice)

    assert '<body class="the-site"><nav>Site navigation</nav>' in page
    assert "<title>Unsubscribe · The Site</title>" in page
    assert "Stop receiving “Waves” emails?" in page  # the page's own content
    assert "notifications-standalone" not in page


def test_the_preferences_page_uses_the_sites_layout_too(templates_dir, client, alice):
    (templates_dir / "base.html").write_text(SITE_BASE)
    client.force_login(alice)

    page = client.get(reverse("notifications:preferences")).content.decode()

    assert "Site navigation" in page
    assert 'name="waves"' in page


def test_a_project_can_override_the_frameworks_base_html(templates_dir, client, alice):
    (templates_dir / "base.html").write_text(SITE_BASE)
    (templates_dir / "notifications").mkdir()
    (templates_dir / "notifications" / "base.html").write_text(
        '<main class="chosen-by-the-project">{% block notifications_content %}{% endblock %}</main>'
    )

    page = unsubscribe_page(client, alice)

    assert page.startswith('<main class="chosen-by-the-project">')
    assert "Unsubscribe" in page  # the page's own content, in the project's frame
    assert "Site navigation" not in page
