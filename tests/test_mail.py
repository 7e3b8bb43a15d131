"""E-mail: building messages, the outbox worker, and sending a letter to a real SMTP server."""

import io
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from coachapp.extensions import db
from coachapp.letters.models import Letter, LetterStatus
from coachapp.mail import Attachment, MailError, build_message, send_message
from coachapp.outbox.models import OutboxMessage, OutboxStatus
from coachapp.outbox.services import Email, claim_due, enqueue
from coachapp.timeutil import utcnow
from tests.factories import PASSWORD, make_client, make_coach, make_letter
from tests.smtp import SmtpServer

PERSONAL_MESSAGE = "Dear Sofia,\n\nHere is the letter we talked about."


@pytest.fixture
def smtp(app):
    """A running SMTP server on 127.0.0.1 that the app sends to."""
    server = SmtpServer()
    server.start()
    app.config.update(server.settings())
    yield server
    server.stop()


def text(response) -> str:
    return response.get_data(as_text=True)


def approved_letter(app, coach_id: int, email: str = "sofia@example.com") -> int:
    from coachapp.auth.models import User

    with app.app_context():
        coach = db.session.get(User, coach_id)
        sofia = make_client(coach, email=email)
        letter = make_letter(sofia, status=LetterStatus.APPROVED, approved_at=utcnow())
        return letter.id


def send(client, letter_id: int, message: str = PERSONAL_MESSAGE):
    """Press "Send to client"; closing the response runs the after-response delivery."""
    response = client.post(f"/letters/{letter_id}/send", data={"personal_message": message})
    response.close()
    return response


def outbox_messages(app) -> list[OutboxMessage]:
    with app.app_context():
        messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        db.session.expunge_all()
        return messages


def an_email(key: str, coach_id: int, kind: str = "reset") -> Email:
    return Email(kind, "coach@example.com", "Hi", "Text", "<p>HTML</p>", key, coach_id)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# Building and sending messages


def test_a_message_has_a_plain_and_an_html_part_and_its_attachments(app):
    with app.test_request_context():
        message = build_message(
            "sofia@example.com", "Your letter", "Plain words", "<p>HTML words</p>",
            [Attachment("letter-1.pdf", b"%PDF-1.7 test")],
        )
    body = message.get_body(("plain",))
    assert body.get_content().strip() == "Plain words"
    assert "HTML words" in message.get_body(("html",)).get_content()
    [attachment] = message.iter_attachments()
    assert attachment.get_filename() == "letter-1.pdf"
    assert attachment.get_content_type() == "application/pdf"


@pytest.mark.parametrize(
    ("to", "subject"),
    [
        ("sofia@example.com\r\nBcc: everyone@example.com", "Hello"),
        ("sofia@example.com", "Hello\nBcc: everyone@example.com"),
    ],
)
def test_a_line_break_in_the_recipient_or_subject_is_refused(app, to, subject):
    with app.test_request_context():
        with pytest.raises(MailError, match="may not contain a line break"):
            build_message(to, subject, "text", "<p>html</p>")
        with pytest.raises(MailError, match="may not contain a line break"):
            enqueue(Email("letter", to, subject, "t", "<p>h</p>", "key-1"))


def test_without_a_mail_server_messages_are_saved_in_instance_mail(app):
    with app.test_request_context():
        path = send_message(build_message("sofia@example.com", "Saved", "Kept here", "<p>x</p>"))
    assert path.parent == Path(app.instance_path) / "mail" and path.suffix == ".eml"
    saved = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert saved["To"] == "sofia@example.com" and saved["Subject"] == "Saved"


# Sending a letter


def test_a_sent_letter_arrives_once_with_its_pdf_a_plain_and_an_html_part(
    app, client, coach_id, smtp
):
    letter_id = approved_letter(app, coach_id)
    assert "Send to client" in text(client.get(f"/letters/{letter_id}"))

    response = send(client, letter_id)

    assert response.status_code == 302
    [(recipients, message)] = smtp.received
    assert recipients == ["sofia@example.com"]
    assert message["Subject"] == "After our first session"
    assert message["Reply-To"] == "coach@example.com"
    assert "Here is the letter we talked about." in message.get_body(("plain",)).get_content()
    assert "Here is the letter we talked about." in message.get_body(("html",)).get_content()
    [attachment] = message.iter_attachments()
    assert attachment.get_filename() == f"letter-{letter_id}.pdf"
    assert "Sofia" in pdf_text(attachment.get_content())
    page = text(client.get(f"/letters/{letter_id}"))
    assert "Sent to sofia@example.com" in page and "Sent</span>" in page
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter.status is LetterStatus.SENT and letter.sent_at is not None
        assert letter.sent_to == "sofia@example.com"


def test_pressing_send_twice_sends_one_message(app, client, coach_id, smtp):
    letter_id = approved_letter(app, coach_id)
    send(client, letter_id)
    second = send(client, letter_id)
    assert second.status_code == 302
    assert "already sent" in text(client.get(f"/letters/{letter_id}"))
    assert len(smtp.received) == 1
    assert len(outbox_messages(app)) == 1


def test_a_client_without_an_email_address_is_refused_clearly(app, client, coach_id):
    letter_id = approved_letter(app, coach_id, email="")
    send(client, letter_id)
    page = text(client.get(f"/letters/{letter_id}"))
    assert "has no e-mail address yet" in page
    assert outbox_messages(app) == []
    with app.app_context():
        assert db.session.get(Letter, letter_id).status is LetterStatus.APPROVED


def test_a_draft_letter_cannot_be_sent(app, client, coach_id):
    from coachapp.auth.models import User

    with app.app_context():
        letter_id = make_letter(make_client(db.session.get(User, coach_id))).id
    send(client, letter_id)
    assert "Approve the letter before sending it." in text(client.get(f"/letters/{letter_id}"))
    assert outbox_messages(app) == []


def test_without_a_mail_server_the_letter_is_saved_and_the_page_says_so(app, client, coach_id):
    letter_id = approved_letter(app, coach_id)
    response = client.post(
        f"/letters/{letter_id}/send", data={"personal_message": "Hi"}, follow_redirects=True
    )
    response.close()
    assert "saved to instance/mail/ because no mail server is configured" in text(response)
    [message] = outbox_messages(app)
    assert message.status is OutboxStatus.SENT
    [saved] = (Path(app.instance_path) / "mail").glob("*.eml")
    parsed = message_from_bytes(saved.read_bytes(), policy=policy.default)
    filenames = [part.get_filename() for part in parsed.iter_attachments()]
    assert filenames == [f"letter-{letter_id}.pdf"]


# The outbox worker


def test_a_letter_sent_while_the_mail_server_is_down_is_delivered_once_by_the_worker(
    app, client, coach_id, smtp, runner
):
    app.config["OUTBOX_RETRY_SECONDS"] = 0  # due again at once, so the worker picks it up
    letter_id = approved_letter(app, coach_id)
    smtp.stop()

    send(client, letter_id)

    [message] = outbox_messages(app)
    assert message.status is OutboxStatus.RETRYING and message.attempts == 1
    assert "ConnectionRefusedError" in message.last_error
    outbox_page = text(client.get("/outbox/"))
    assert "Retrying" in outbox_page and "ConnectionRefusedError" in outbox_page
    assert "Retry now" in outbox_page

    smtp.start()
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "1 sent" in result.output
    assert runner.invoke(args=["outbox", "send"]).output.strip() == "Nothing to send."
    assert len(smtp.received) == 1
    [message] = outbox_messages(app)
    assert message.status is OutboxStatus.SENT and message.attempts == 2


def test_retries_wait_longer_each_time_and_give_up_with_the_reason(app, smtp):
    smtp.stop()
    app.config.update(OUTBOX_RETRY_SECONDS=0, OUTBOX_MAX_ATTEMPTS=3)
    with app.test_request_context():
        coach = make_coach()
        enqueue(an_email("k", coach.id))
        db.session.commit()
        from coachapp.outbox.services import send_due

        assert send_due() == {"retrying": 1}
        assert send_due() == {"retrying": 1}
        assert send_due() == {"failed": 1}
        assert send_due() == {}
    [message] = outbox_messages(app)
    assert message.status is OutboxStatus.FAILED and message.attempts == 3
    assert "ConnectionRefusedError" in message.last_error


def test_a_message_waits_its_backoff_before_the_next_try(app, smtp):
    smtp.stop()
    app.config.update(OUTBOX_RETRY_SECONDS=60)
    with app.test_request_context():
        coach = make_coach()
        enqueue(an_email("k", coach.id))
        db.session.commit()
        from coachapp.outbox.services import send_due

        assert send_due() == {"retrying": 1}
        assert send_due() == {}  # not due for another minute
        message = db.session.scalars(select(OutboxMessage)).one()
        wait = (message.next_attempt_at - utcnow()).total_seconds()
        assert 50 < wait <= 60


def test_retry_now_on_the_outbox_page_sends_a_waiting_message(app, client, coach_id, smtp):
    letter_id = approved_letter(app, coach_id)
    smtp.stop()
    send(client, letter_id)
    smtp.start()
    [message] = outbox_messages(app)
    response = client.post(f"/outbox/{message.id}/retry")
    response.close()
    assert len(smtp.received) == 1
    [message] = outbox_messages(app)
    assert message.status is OutboxStatus.SENT


def test_two_workers_never_claim_the_same_message(app):
    with app.app_context():
        coach = make_coach()
        for number in range(3):
            enqueue(an_email(f"k{number}", coach.id))
        db.session.commit()
        first = claim_due(limit=2)
        second = claim_due(limit=2)
        third = claim_due(limit=2)
    assert len(first) == 2 and len(second) == 1 and third == []
    assert not set(first) & set(second)


def test_rows_locked_by_one_postgresql_worker_are_skipped_by_another(app, backend):
    if backend != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite claims with a conditional UPDATE")
    from sqlalchemy import text as sql

    with app.app_context():
        coach = make_coach()
        for number in range(2):
            enqueue(an_email(f"k{number}", coach.id))
        db.session.commit()
        with db.engine.connect() as other_worker:
            locked = other_worker.execute(
                sql("SELECT id FROM outbox_messages ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED")
            ).scalar_one()
            claimed = claim_due()
            other_worker.rollback()
    assert locked not in claimed and len(claimed) == 1


def test_the_same_idempotency_key_gives_the_same_message(app):
    with app.app_context():
        coach = make_coach()
        first = enqueue(an_email("letter-9", coach.id, "letter"))
        again = enqueue(an_email("letter-9", coach.id, "letter"))
        db.session.commit()
        assert first.id == again.id
    assert len(outbox_messages(app)) == 1


# Other coaches


def test_another_coachs_letter_and_outbox_message_are_not_found(app, client, coach_id, browser):
    letter_id = approved_letter(app, coach_id)
    send(client, letter_id)
    [message] = outbox_messages(app)
    browser.logout()
    with app.app_context():
        make_coach("other@example.com", "Other Coach")
    browser.login("other@example.com", PASSWORD)

    assert client.post(f"/letters/{letter_id}/send", data={}).status_code == 404
    assert client.post(f"/outbox/{message.id}/retry").status_code == 404
    assert "After our first session" not in text(client.get("/outbox/"))


def test_the_worker_loop_keeps_sending_until_stopped(app, runner, smtp, monkeypatch):
    with app.app_context():
        coach = make_coach()
        enqueue(an_email("loop", coach.id))
        db.session.commit()
    rounds = []

    def sleep(seconds):
        rounds.append(seconds)
        if len(rounds) == 2:
            raise KeyboardInterrupt  # Ctrl-C

    monkeypatch.setattr("coachapp.outbox.cli.time.sleep", sleep)
    result = runner.invoke(args=["outbox", "send", "--loop", "--interval", "0.5"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["1 sent", "Stopped."]
    assert rounds == [0.5, 0.5] and len(smtp.received) == 1


def test_a_message_claimed_by_a_worker_that_vanished_is_sent_after_its_lease(app):
    with app.app_context():
        coach = make_coach()
        enqueue(an_email("lease", coach.id))
        db.session.commit()
        [claimed] = claim_due()
        assert claim_due() == []  # still being sent by the first worker
        message = db.session.get(OutboxMessage, claimed)
        message.next_attempt_at = utcnow()  # ... whose lease has now run out
        db.session.commit()
        assert claim_due() == [claimed]
        assert db.session.get(OutboxMessage, claimed, populate_existing=True).attempts == 2


def test_a_letter_goes_even_when_the_browser_drops_the_connection_as_the_page_ends(
    app, client, coach_id, smtp, monkeypatch
):
    # `flask run` skips a response's close() when the browser resets the connection; the
    # e-mail must leave anyway, without waiting for the outbox worker.
    monkeypatch.setattr("coachapp.outbox.services.UNCLOSED_RESPONSE_DELIVERY_SECONDS", 0.2)
    letter_id = approved_letter(app, coach_id)

    response = client.post(f"/letters/{letter_id}/send", data={"personal_message": "Hello"})

    assert response.status_code == 302
    deadline = time.monotonic() + 10
    while not smtp.received and time.monotonic() < deadline:
        time.sleep(0.05)
    [(recipients, _message)] = smtp.received
    assert recipients == ["sofia@example.com"]
    response.close()  # the close that finally comes sends nothing more
    time.sleep(0.3)
    assert len(smtp.received) == 1
