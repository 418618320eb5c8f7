"""The DEBUG-only dev inbox shows what the local SMTP sink stored."""

import mailbox
from email.message import EmailMessage

import pytest
from django.test import Client


@pytest.fixture
def maildir(tmp_path, settings):
    settings.DEV_INBOX_MAILDIR = tmp_path / "mail"
    box = mailbox.Maildir(settings.DEV_INBOX_MAILDIR)
    message = EmailMessage()
    message["Subject"] = "bob is now following you!"
    message["From"] = "noreply@example.com"
    message["To"] = "alice@example.com"
    message.set_content("Hello alice")
    message.add_alternative("<p>Hello <b>alice</b><script>alert(1)</script></p>", subtype="html")
    key = box.add(message)
    return key


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


@pytest.mark.django_db
def test_inbox_lists_caught_messages(client, maildir, debug):
    response = client.get("/dev/inbox/")
    assert response.status_code == 200
    assert "bob is now following you!" in response.text


@pytest.mark.django_db
def test_message_page_shows_headers_text_and_sandboxed_html(client, maildir, debug):
    response = client.get(f"/dev/inbox/{maildir}/")
    assert response.status_code == 200
    assert "alice@example.com" in response.text
    assert "Hello alice" in response.text
    assert (
        f'sandbox="allow-popups allow-popups-to-escape-sandbox" src="/dev/inbox/{maildir}/html/"'
        in response.text
    )


@pytest.mark.django_db
def test_the_links_of_a_message_can_be_followed(client, settings, tmp_path, debug):
    """A newcomer clicks "Unsubscribe" or a reset link in the dev inbox: the
    text part's links are links, the HTML part's open in a tab of their own."""
    settings.DEV_INBOX_MAILDIR = tmp_path / "mail"
    message = EmailMessage()
    message["Subject"] = "Reset your password"
    message.set_content("Choose a new one: http://127.0.0.1:8000/accounts/password/reset/x/y/\n")
    message.add_alternative(
        '<html><head><title>t</title></head><body><a href="http://127.0.0.1:8000/u/bob/">bob</a>'
        "</body></html>",
        subtype="html",
    )
    key = mailbox.Maildir(settings.DEV_INBOX_MAILDIR).add(message)

    page = client.get(f"/dev/inbox/{key}/").text
    html = client.get(f"/dev/inbox/{key}/html/")

    assert '<a href="http://127.0.0.1:8000/accounts/password/reset/x/y/"' in page
    assert html.text.startswith('<html><head><base target="_blank"><title>')
    assert "sandbox allow-popups allow-popups-to-escape-sandbox" in html["Content-Security-Policy"]


@pytest.mark.django_db
def test_html_part_is_served_under_a_sandboxing_policy(client, maildir, debug):
    response = client.get(f"/dev/inbox/{maildir}/html/")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "sandbox" in policy
    assert "default-src 'none'" in policy
    assert "script-src" not in policy  # falls back to default-src 'none'


@pytest.mark.django_db
def test_unknown_message_is_404(client, maildir, debug):
    assert client.get("/dev/inbox/nope/").status_code == 404


@pytest.mark.django_db
def test_empty_when_the_sink_has_stored_nothing(client, settings, tmp_path, debug):
    settings.DEV_INBOX_MAILDIR = tmp_path / "absent"
    assert client.get("/dev/inbox/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/dev/inbox/", "/dev/inbox/x/", "/dev/inbox/x/html/"])
def test_dev_inbox_does_not_exist_without_debug(client, maildir, path):
    assert client.get(path).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "key",
    [
        "99999999999999999999",
        "99999999999999999999.M1P1Q1.host",
        "-1",
        "%00",
        "a%00b",
        "..",
        "%2e%2e",
        "x" * 5000,
        "%ff%fe",
    ],
    ids=[
        "huge",
        "huge-maildir-like",
        "negative",
        "nul",
        "nul-inside",
        "dots",
        "encoded-dots",
        "very-long",
        "bad-utf8",
    ],
)
@pytest.mark.parametrize("suffix", ["", "html/"])
def test_an_unknown_or_malformed_message_id_is_404(client, maildir, debug, key, suffix):
    response = Client(raise_request_exception=False).get(f"/dev/inbox/{key}/{suffix}")
    assert response.status_code == 404


@pytest.mark.django_db
def test_a_message_stored_under_an_odd_name_still_shows(client, settings, debug, tmp_path):
    # Maildir names are "<seconds>.<unique>"; a hand-made file may be called anything.
    settings.DEV_INBOX_MAILDIR = tmp_path / "mail"
    mailbox.Maildir(settings.DEV_INBOX_MAILDIR)
    message = EmailMessage()
    message["Subject"] = "odd"
    message.set_content("hello")
    name = "99999999999999999999.M1P1Q1.host"
    (settings.DEV_INBOX_MAILDIR / "cur" / name).write_bytes(bytes(message))

    assert "odd" in client.get("/dev/inbox/").text
    assert client.get(f"/dev/inbox/{name}/").status_code == 200


@pytest.mark.django_db
def test_a_message_in_a_charset_python_does_not_know_still_shows(client, settings, debug, tmp_path):
    settings.DEV_INBOX_MAILDIR = tmp_path / "mail"
    raw = (
        b"Subject: odd charset\r\nFrom: a@example.com\r\nTo: b@example.com\r\n"
        b"Content-Type: text/plain; charset=no-such\r\n\r\nhello there\r\n"
    )
    key = mailbox.Maildir(settings.DEV_INBOX_MAILDIR).add(raw)

    response = client.get(f"/dev/inbox/{key}/")

    assert response.status_code == 200
    assert "hello there" in response.text


@pytest.mark.django_db
def test_every_page_leads_to_the_dev_inbox_and_the_reset_page_says_to_look_there(
    client, maildir, debug
):
    assert 'href="/dev/inbox/"' in client.get("/explore/").text
    done = client.get("/accounts/password/reset/sent/").text
    assert 'read them in the <a href="/dev/inbox/">dev inbox</a>' in done


@pytest.mark.django_db
def test_without_debug_no_page_mentions_a_dev_inbox(client):
    assert "/dev/inbox/" not in client.get("/explore/").text
    assert "dev inbox" not in client.get("/accounts/password/reset/sent/").text
