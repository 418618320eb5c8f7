"""Bad input the other test modules do not already cover.

docs/security.md lists every bad-input case with the test that proves it;
this module holds the ones that had no test elsewhere. Each case must end in
a clear 4xx or a clean, escaped result, with nothing stored wrongly or lost.
"""

from __future__ import annotations

import base64
import email
import email.policy

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from accounts.models import Follow, User
from accounts.tests.factories import FollowFactory, UserFactory
from microblog.models import Post
from microblog.services import post_create
from notifications.models import Notification, Preference, TrackingEvent
from notifications.tasks import deliver_due
from notifications.tokens import make_unsubscribe_token

pytestmark = pytest.mark.django_db

INJECTION = "\r\nBcc: evil@example.com"
WEBHOOK_AUTH = {
    "HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"hook:secret").decode()
}  # ANYMAIL["WEBHOOK_SECRET"] in the test settings


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- follows and usernames ----------------------------------------------------


def test_unfollowing_someone_you_do_not_follow_changes_nothing():
    me, them = UserFactory(), UserFactory()
    FollowFactory(follower=them, followed=me)  # the other direction stays

    response = signed_in(me).post(reverse("accounts:unfollow", kwargs={"username": them}))

    assert response.status_code == 302
    assert list(Follow.objects.values_list("follower", "followed")) == [(them.pk, me.pk)]
    assert Notification.objects.filter(status=Notification.Status.CANCELLED).count() == 0


@pytest.mark.parametrize(
    "username",
    ["\u0430lice", "b\u043eb", "\u0131nfo"],
    ids=["cyrillic-a", "cyrillic-o", "dotless-i"],
)
def test_signup_rejects_look_alike_unicode_usernames(client, username):
    UserFactory(username=username.replace("\u0430", "a").replace("\u043e", "o"))
    response = client.post(
        reverse("accounts:signup"),
        {
            "username": username,
            "email": "lookalike@example.com",
            "password1": "a-long-unusual-passphrase-42",
            "password2": "a-long-unusual-passphrase-42",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["username"]
    assert not User.objects.filter(email="lookalike@example.com").exists()


# --- posts and mentions ------------------------------------------------------------


def test_mentions_of_unknown_or_deactivated_users_store_the_post_and_notify_nobody():
    UserFactory(username="sleeper", is_active=False)
    author = UserFactory()

    post = post_create(author=author, body="hi @nobody_here, @ghost and @sleeper!")

    assert Post.objects.get() == post
    assert not Notification.objects.exists()


# --- what goes into an email ------------------------------------------------------


def delivered(sink) -> email.message.EmailMessage:  # type: ignore[no-untyped-def]
    deliver_due()
    [received] = sink.messages
    return email.message_from_bytes(received.raw, policy=email.policy.default)


def header_names(message: email.message.Message) -> set[str]:
    return {name.lower() for name in message}


@pytest.mark.parametrize("field", ["first_name", "username"])
def test_a_header_injection_through_a_followers_name_adds_no_header(
    outbox_mailers, smtp_sink, field
):
    alice = UserFactory(username="alice")
    # The username validator forbids this; an import or the shell would not.
    values = {"username": "eve", "first_name": "", field: "eve" + INJECTION}
    eve = User.objects.create(email="eve@example.com", password="!", **values)
    Follow.objects.create(follower=eve, followed=alice)

    message = delivered(smtp_sink)

    [received] = smtp_sink.messages
    assert received.envelope_to == ["alice@example.com"]
    assert "bcc" not in header_names(message)
    head = received.raw.split(b"\r\n\r\n", 1)[0].decode()
    assert not [line for line in head.splitlines() if line.lower().startswith("bcc")]
    assert "\n" not in str(message["Subject"]) and "\r" not in str(message["Subject"])
    assert Notification.objects.get().status == Notification.Status.SENT


def test_a_header_injection_through_a_mentioning_authors_name_adds_no_header(
    outbox_mailers, smtp_sink
):
    UserFactory(username="alice")
    author = User.objects.create(username="mallory" + INJECTION, email="m@example.com")
    Post.objects.create(author=author, body="hello @alice")

    message = delivered(smtp_sink)

    assert smtp_sink.messages[0].envelope_to == ["alice@example.com"]
    assert "bcc" not in header_names(message)
    assert str(message["Subject"]).startswith("mallory Bcc: evil@example.com")


def parts(message: email.message.EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_html_in_a_post_is_escaped_in_the_mention_email_and_intact_in_its_text(
    outbox_mailers, smtp_sink
):
    UserFactory(username="alice")
    body = '<script>alert("x")</script> & <b>bold</b> @alice'
    Post.objects.create(author=UserFactory(username="bob"), body=body)

    text, html = parts(delivered(smtp_sink))

    assert body in text
    assert "<script>" not in html and "<b>bold" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;bold&lt;/b&gt;" in html


def test_html_in_a_followers_name_is_escaped_in_the_email_and_intact_in_its_text(
    outbox_mailers, smtp_sink
):
    alice = UserFactory(username="alice")
    name = "<img src=x onerror=alert(1)>"
    eve = UserFactory(username="eve", first_name=name, about_me="<script>x()</script>")
    Follow.objects.create(follower=eve, followed=alice)

    text, html = parts(delivered(smtp_sink))

    assert name in text
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script>x()" not in html  # about_me is not part of any email


# --- unsubscribe tokens ---------------------------------------------------------


@pytest.mark.parametrize(
    "kind",
    ["default-salt", "other-secret", "category-swapped"],
)
def test_an_unsubscribe_token_of_the_wrong_kind_is_refused(kind):
    alice = UserFactory()
    good = make_unsubscribe_token(user_id=alice.pk, category="social")
    token = {
        "default-salt": signing.dumps([alice.pk, "social"]),
        "other-secret": signing.dumps(
            [alice.pk, "social"], salt="notifications.unsubscribe", key="x" * 50
        ),
        # The payload of a "mentions" token with the signature of a "social" one.
        "category-swapped": ":".join(
            [
                make_unsubscribe_token(user_id=alice.pk, category="mentions").split(":")[0],
                *good.split(":")[1:],
            ]
        ),
    }[kind]

    response = Client(enforce_csrf_checks=True).post(
        reverse("notifications:unsubscribe", kwargs={"token": token})
    )

    assert response.status_code == 400
    assert not Preference.objects.exists()


# --- provider webhooks ------------------------------------------------------------


@pytest.mark.parametrize(
    ("esp", "body"),
    [
        pytest.param("postmark", "{not json", id="postmark-broken"),
        pytest.param("postmark", "", id="postmark-empty"),
        pytest.param("postmark", "null", id="postmark-null"),
        pytest.param("postmark", "[]", id="postmark-array"),
        pytest.param("postmark", '"a string"', id="postmark-string"),
        pytest.param("mailgun", "{not json", id="mailgun-broken"),
        pytest.param("mailgun", "", id="mailgun-empty"),
        pytest.param("mailgun", "[]", id="mailgun-array"),
        pytest.param("sendgrid", "{}", id="sendgrid-object"),
    ],
)
def test_malformed_json_to_a_webhook_is_a_bad_request_and_records_nothing(esp, body):
    client = Client(raise_request_exception=False)

    response = client.post(
        f"/webhooks/anymail/{esp}/tracking/",
        body,
        content_type="application/json",
        **WEBHOOK_AUTH,
    )

    assert not TrackingEvent.objects.exists()
    assert response.status_code == 400


def test_malformed_json_without_credentials_is_refused_before_it_is_read(monkeypatch):
    def must_not_read(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("an unauthenticated body was read")

    monkeypatch.setattr("notifications.tracking.views.check_body", must_not_read)
    client = Client(raise_request_exception=False)

    response = client.post(
        "/webhooks/anymail/postmark/tracking/", "{not json", content_type="application/json"
    )

    assert response.status_code in (400, 403)
    assert not TrackingEvent.objects.exists()


@pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning")
@pytest.mark.parametrize("esp", ["sparkpost", "sendgrid"])
def test_an_empty_array_of_events_is_accepted_from_esps_that_post_arrays(esp):
    response = Client().post(
        f"/webhooks/anymail/{esp}/tracking/", "[]", content_type="application/json", **WEBHOOK_AUTH
    )

    assert response.status_code == 200
    assert not TrackingEvent.objects.exists()


def test_a_webhook_get_is_not_allowed():
    response = Client().get("/webhooks/anymail/postmark/tracking/", **WEBHOOK_AUTH)

    assert response.status_code == 405
    assert not TrackingEvent.objects.exists()


# --- the admin and unknown pages ---------------------------------------------------


def test_an_admin_action_by_a_non_staff_user_goes_to_the_admin_login_and_changes_nothing():
    victim = UserFactory()
    intruder = UserFactory()

    response = signed_in(intruder).post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_selected", "_selected_action": [victim.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    assert User.objects.filter(pk=victim.pk).exists()


def test_an_admin_action_by_staff_without_the_permission_is_forbidden():
    victim = UserFactory()
    staff = UserFactory(is_staff=True)

    response = signed_in(staff).post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_selected", "_selected_action": [victim.pk], "post": "yes"},
    )

    assert response.status_code == 403
    assert User.objects.filter(pk=victim.pk).exists()


@pytest.mark.parametrize(
    "path", ["/no/such/page/", "/u/", "/u/a/b/c/", "/notifications/unsubscribe/"]
)
def test_an_unknown_url_is_the_site_404_page(path):
    response = Client(raise_request_exception=False).get(path)

    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_a_huge_or_odd_page_number_is_not_an_error(client):
    for page in ["999999999999999999999", "-1", "abc", "1e3"]:
        assert client.get("/explore/", {"page": page}).status_code in (200, 404)


# --- characters no database column can hold ------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/u/al%00ice/", "/u/%00/followers/", "/explore/%00", "/notifications/unsubscribe/a%00b/"],
)
def test_a_nul_byte_in_the_path_is_not_found(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "404.html" in [template.name for template in response.templates]


def test_a_nul_byte_in_the_query_or_a_form_is_a_bad_request(client, user_client):
    assert client.get("/explore/", {"page": "1\x00"}).status_code == 400
    response = user_client.post("/", {"body": "hello\x00world"})
    assert response.status_code == 400
    assert not Post.objects.exists()


# --- found by sending every URL hostile input --------------------------------------

LONG_NAME = "A" * 50_001  # SQLite refuses a LIKE pattern this long: an error, so a 500


def test_signing_in_with_a_huge_username_is_a_failed_sign_in(client):
    for path in (reverse("accounts:login"), "/admin/login/"):
        response = client.post(path, {"username": LONG_NAME, "password": "x"})
        assert response.status_code == 200, path  # the form again, with its error
        assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/u/{name}/"),
        ("get", "/u/{name}/followers/"),
        ("get", "/u/{name}/following/"),
        ("get", "/avatars/{name}.png"),
        ("post", "/u/{name}/follow/"),
        ("post", "/u/{name}/unfollow/"),
    ],
)
def test_a_username_longer_than_any_is_not_found(method, path, user_client):
    response = getattr(user_client, method)(path.format(name="a" * 31))
    assert response.status_code == 404
    response = getattr(user_client, method)(path.format(name=LONG_NAME))
    assert response.status_code == 404


@pytest.mark.parametrize("target", ["x", "25:99", "timeline:home", "javascript:alert(1)"])
def test_a_next_that_is_not_a_path_of_the_site_falls_back(target, user_client):
    UserFactory(username="writer")

    follow = user_client.post("/u/writer/follow/", {"next": target})
    read_all = user_client.post(reverse("notifications:items_read"), {"next": target})

    assert follow.status_code == 302 and follow["Location"] == "/u/writer/"
    assert read_all.status_code == 302 and read_all["Location"] == reverse("notifications:feed")


def test_a_form_upload_to_a_json_webhook_is_a_bad_request():
    response = Client().post(
        "/webhooks/anymail/amazon_ses/tracking/",
        {"Type": "Notification", "file": ("x.txt", b"x")},
        **WEBHOOK_AUTH,
    )
    assert response.status_code == 400
    assert not TrackingEvent.objects.exists()


@pytest.mark.parametrize("path", ["/explore/", "/accounts/login/", "/healthz"])
def test_a_session_cookie_holding_a_nul_means_no_session_not_an_error(path):
    """Django reads the escape \\000 in a quoted cookie as a NUL, which
    PostgreSQL refuses in the session lookup: a cookie planted from another
    subdomain would otherwise break every page for its victim."""
    client = Client(raise_request_exception=False)
    response = client.get(path, HTTP_COOKIE='sessionid="abcdefgh\\000ijklmnop"')
    assert response.status_code in (200, 302)


def test_a_nul_in_the_user_agent_of_a_failed_sign_in_is_an_ordinary_failure():
    """The sign-in throttle stores the User-Agent."""
    UserFactory(username="alice")
    response = Client(raise_request_exception=False).post(
        reverse("accounts:login"),
        {"username": "alice", "password": "wrong"},
        HTTP_USER_AGENT="a\x00b",
    )
    assert response.status_code == 200


def test_the_language_switch_with_an_accept_header_too_long_to_parse_still_switches():
    response = Client(raise_request_exception=False).post(
        reverse("accounts:language_set"), {"language": "zh-hans"}, HTTP_ACCEPT="x" * 10_001
    )
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "zh-hans"


@pytest.mark.parametrize("path", ["/healthz", "/notifications/bell/"])
def test_probes_may_ask_with_head(path):
    assert Client().head(path).status_code == 200
