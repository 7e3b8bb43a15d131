"""Rate limits on sign-in, two-step codes, password links, invitations and blog comments."""

import time

import pytest
from sqlalchemy import func, select

from coachapp.blog.models import Comment
from coachapp.extensions import db
from tests.conftest import make_test_app
from tests.factories import PASSWORD, make_coach, make_post
from tests.live_server import GunicornServer, LiveClient, free_port
from tests.redis_server import RedisServer, why_redis_unavailable

OTHER_ADDRESS = {"REMOTE_ADDR": "203.0.113.9"}


def text(response) -> str:
    return response.get_data(as_text=True)


def sign_in(client, email: str, password: str, **kwargs):
    return client.post("/login", data={"email": email, "password": password}, **kwargs)


@pytest.fixture
def coach_email(app) -> str:
    with app.app_context():
        return make_coach().email


@pytest.fixture
def short_window_app(database_url, tmp_path):
    """An app whose sign-in allows two attempts per three seconds, so a window can pass."""
    app = make_test_app(tmp_path, database_url, RATE_LIMIT_SIGN_IN="2 per 3 seconds")
    with app.app_context():
        make_coach()
    yield app
    with app.app_context():
        db.engine.dispose()


def assert_friendly_429(response, longest_wait: int) -> str:
    page = text(response)
    assert response.status_code == 429
    assert "Please wait a few minutes" in page
    assert 1 <= int(response.headers["Retry-After"]) <= longest_wait
    return page


def test_the_eleventh_sign_in_in_a_minute_gets_a_friendly_429(client, coach_email):
    for _ in range(20):
        assert client.get("/login").status_code == 200  # only attempts count, not visits
    for _ in range(10):
        assert sign_in(client, coach_email, "a-wrong-guess").status_code == 400
    response = sign_in(client, "typed@example.com", "the-eleventh-guess")
    page = assert_friendly_429(response, 60)
    assert "many sign-in attempts from your connection" in page
    assert "Please try again in a minute." in page
    assert 'value="typed@example.com"' in page  # the e-mail address, ready for later
    assert "the-eleventh-guess" not in page  # never the password
    # Another connection is not held back.
    other = sign_in(client, coach_email, PASSWORD, environ_base=OTHER_ADDRESS)
    assert other.headers["Location"] == "/dashboard"


def test_the_right_password_is_refused_too_until_the_window_passes(short_window_app):
    client = short_window_app.test_client()
    first_attempt = time.monotonic()
    for _ in range(2):
        assert sign_in(client, "coach@example.com", "a-wrong-guess").status_code == 400
    refused = sign_in(client, "coach@example.com", PASSWORD)
    assert_friendly_429(refused, 3)
    assert client.get("/dashboard").status_code == 302  # not signed in

    time.sleep(max(0.0, first_attempt + 3.2 - time.monotonic()))
    accepted = sign_in(client, "coach@example.com", PASSWORD)
    assert accepted.headers["Location"] == "/dashboard"


def test_each_app_counts_for_itself(short_window_app, database_url, tmp_path):
    client = short_window_app.test_client()
    for _ in range(3):
        sign_in(client, "coach@example.com", "a-wrong-guess")
    assert sign_in(client, "coach@example.com", PASSWORD).status_code == 429
    fresh = make_test_app(tmp_path / "second", database_url)
    response = sign_in(fresh.test_client(), "coach@example.com", PASSWORD)
    assert response.headers["Location"] == "/dashboard"
    with fresh.app_context():
        db.engine.dispose()


def test_asking_for_reset_links_is_limited_and_keeps_the_address(client, coach_email):
    for _ in range(5):
        response = client.post("/forgot-password", data={"email": coach_email})
        assert response.status_code == 302
    response = client.post("/forgot-password", data={"email": "me@example.com"})
    page = assert_friendly_429(response, 60)
    assert "requests for password links" in page
    assert 'value="me@example.com"' in page


@pytest.mark.parametrize(("path", "allowed"), [("/reset-password", 5), ("/invitation", 10)])
def test_guessing_link_tokens_is_limited(client, path, allowed):
    for number in range(allowed):
        guess = {"link": f"a-guessed-token-number-{number}"}
        opened = client.post(path, data=guess, follow_redirects=True)
        assert opened.status_code == 404  # no such link
    page = assert_friendly_429(client.post(path, data={"link": "the-last-guess"}), 60)
    assert "the-last-guess" not in page
    assert client.get(path).status_code == 404  # reading the page is not an attempt


@pytest.mark.parametrize(
    ("path", "allowed"),
    [("/reset-password/guessed-token", 5), ("/invitation/guessed-token", 10)],
)
def test_guessing_tokens_in_the_address_of_older_links_is_limited(client, path, allowed):
    data = {"password": "a-new-long-password", "confirm": "a-new-long-password"}
    for _ in range(allowed):
        assert client.post(path, data=data).status_code == 404  # no such link
    page = assert_friendly_429(client.post(path, data=data), 60)
    assert "a-new-long-password" not in page
    # Reading the page is not an attempt.
    assert client.get(path, follow_redirects=True).status_code == 404


def test_two_step_codes_are_limited(client):
    for _ in range(10):
        assert client.post("/login/two-step", data={"code": "123456"}).status_code != 429
    page = assert_friendly_429(client.post("/login/two-step", data={"code": "123456"}), 60)
    assert "sign-in codes" in page


def test_comments_have_an_outer_limit_that_keeps_the_comment(database_url, tmp_path):
    app = make_test_app(
        tmp_path, database_url, RATE_LIMIT_COMMENTS="3 per minute", COMMENT_RATE_LIMIT=100
    )
    with app.app_context():
        slug = make_post(make_coach()).slug
    reader = app.test_client()
    comment = {"author_name": "Ana", "author_email": "ana@example.com", "website": ""}
    for number in range(3):
        body = {**comment, "body": f"Thought number {number}"}
        assert reader.post(f"/blog/{slug}/comments", data=body).status_code == 303
    held = reader.post(
        f"/blog/{slug}/comments", data={**comment, "body": "My fourth thought, kept for later"}
    )
    page = assert_friendly_429(held, 60)
    assert "My fourth thought, kept for later" in page
    assert "in about 1 minute" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Comment)) == 3
        db.engine.dispose()


@pytest.mark.parametrize("production", [True, False])
def test_production_says_when_rate_limits_are_counted_per_process(tmp_path, caplog, production):
    # A laptop runs one process; production usually several gunicorn workers.
    make_test_app(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}", PRODUCTION=production,
                  SECRET_KEY="x" * 48, RATELIMIT_STORAGE_URI="memory://")
    said = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert any("counted in this process's memory" in line for line in said) is production


# Several workers


@pytest.fixture(scope="session")
def redis_server():
    """A private Redis on 127.0.0.1 for this test process (tests/redis_server.py)."""
    reason = why_redis_unavailable()
    if reason:
        pytest.skip(reason)
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server) -> str:
    """The test Redis, emptied of every count an earlier test left."""
    redis_server.flush()
    return redis_server.url


def failed_sign_in(server: GunicornServer) -> int:
    """A wrong password from a new browser (its own connection, cookie and CSRF token)."""
    browser = LiveClient(server.url)
    return browser.sign_in("nobody@example.com", "a-wrong-guess").status


def sign_ins_half_on_each_worker(server: GunicornServer, attempts: int) -> list[int]:
    """``attempts`` failed sign-ins, the first half answered by one worker and the rest by
    the other: whichever worker is held, the attempts can only go to the one left free."""
    first_half = attempts // 2
    held = server.hold_a_worker()
    statuses = [failed_sign_in(server) for _ in range(first_half)]
    other_held = server.hold_a_worker()  # the only free worker takes it
    assert held.let_go() == 400
    statuses += [failed_sign_in(server) for _ in range(attempts - first_half)]
    assert other_held.let_go() == 400
    return statuses


def workers_that_answered_sign_ins(server: GunicornServer) -> list[int]:
    """The worker pid that answered each sign-in attempt, in order."""
    log = server.access_log()
    return [pid for pid, method, path, _status in log if (method, path) == ("POST", "/login")]


def test_two_workers_sharing_redis_count_sign_ins_together(redis_url, database_url, tmp_path):
    with GunicornServer(
        tmp_path / "server", database_url, workers=2,
        RATE_LIMIT_SIGN_IN="6 per minute", RATELIMIT_STORAGE_URI=redis_url,
    ) as server:  # fmt: skip
        statuses = sign_ins_half_on_each_worker(server, 7)
    workers = workers_that_answered_sign_ins(server)  # stopped: every line is written
    assert statuses == [400] * 6 + [429]
    # Three attempts on one worker, four on the other: the count is the practice's.
    assert workers == [workers[0]] * 3 + [workers[3]] * 4 and workers[0] != workers[3]


def test_two_workers_counting_in_memory_each_count_their_own(database_url, tmp_path):
    with GunicornServer(
        tmp_path / "server", database_url, workers=2,
        RATE_LIMIT_SIGN_IN="6 per minute", RATELIMIT_STORAGE_URI="memory://",
    ) as server:  # fmt: skip
        statuses = sign_ins_half_on_each_worker(server, 8)
    workers = workers_that_answered_sign_ins(server)
    assert workers == [workers[0]] * 4 + [workers[4]] * 4 and workers[0] != workers[4]
    assert statuses == [400] * 8  # each worker saw only four: why production needs Redis


def test_sign_in_keeps_working_and_counting_when_redis_is_down(database_url, tmp_path):
    nothing_listens = f"redis://127.0.0.1:{free_port()}"
    app = make_test_app(tmp_path, database_url, RATELIMIT_STORAGE_URI=nothing_listens,
                        RATE_LIMIT_SIGN_IN="3 per minute")  # fmt: skip
    with app.app_context():
        email = make_coach().email
    client = app.test_client()

    assert sign_in(client, email, PASSWORD).status_code == 302
    client.post("/logout")
    assert [sign_in(client, email, "a-wrong-guess").status_code for _ in range(2)] == [400, 400]
    assert_friendly_429(sign_in(client, email, "a-fourth-try"), 60)
    with app.app_context():
        db.engine.dispose()
