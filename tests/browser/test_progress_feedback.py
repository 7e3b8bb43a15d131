"""Slow actions say they are under way: sending a letter and downloading a PDF."""

import json
import re
import time

from playwright.sync_api import expect

from coachapp.extensions import db
from coachapp.letters.models import LetterStatus
from coachapp.timeutil import utcnow
from tests.browser.conftest import sign_in
from tests.factories import make_client, make_coach, make_letter


def approved_letter_id(prepare) -> int:
    with prepare():
        sofia = make_client(make_coach(), email="sofia@example.com")
        letter = make_letter(sofia, status=LetterStatus.APPROVED, approved_at=utcnow())
        db.session.commit()
        return letter.id


# Run in the page when Send is pressed: 100 ms later, note what the button shows and press it
# again, as an anxious coach would. sessionStorage keeps the notes across the page change.
WATCH_THE_SEND_BUTTON = """() => {
  const button = document.querySelector('.send-form button[type=submit]');
  button.form.addEventListener('submit', () => setTimeout(() => {
    sessionStorage.setItem('while-sending', JSON.stringify([button.textContent, button.disabled]));
    button.click();
  }, 100));
}"""


def test_pressing_send_says_sending_and_cannot_send_twice(prepare, new_page, mail_server):
    letter_id = approved_letter_id(prepare)
    page = new_page()
    sign_in(page)
    page.goto(f"/letters/{letter_id}")
    sends = []

    def slow_send(route):
        # A slow server: the page waits a second for the answer.
        sends.append(route.request.url)
        time.sleep(1)
        route.continue_()

    page.route(f"**/letters/{letter_id}/send", slow_send)
    page.evaluate(WATCH_THE_SEND_BUTTON)
    page.get_by_role("button", name="Send to client").click()
    page.wait_for_url(re.compile(rf"/letters/{letter_id}$"))

    assert json.loads(page.evaluate("sessionStorage.getItem('while-sending')")) == [
        "Sending…",
        True,
    ]
    assert len(sends) == 1
    expect(page.get_by_text("Sent to sofia@example.com")).to_be_visible()
    # The e-mail leaves just after the answer, its PDF rendered first: on a busy machine
    # that can take a while.
    deadline = time.monotonic() + 60
    while not mail_server.messages and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(mail_server.messages) == 1


def test_downloading_a_pdf_says_it_is_being_prepared(prepare, new_page):
    letter_id = approved_letter_id(prepare)
    page = new_page()
    sign_in(page)
    page.goto(f"/letters/{letter_id}")
    with page.expect_download() as download:
        # Clicked from the page's side, to read the link as the PDF starts rendering (in
        # the same turn: a busy browser may run the link's 4-second timer before the next).
        shown = page.get_by_role("link", name="Download PDF").evaluate(
            "link => { link.click(); return [link.textContent, link.getAttribute('aria-busy')]; }"
        )
        assert shown == ["Preparing the PDF…", "true"]
    assert download.value.suggested_filename.endswith(".pdf")
    # The link comes back for the next download.
    page.get_by_role("link", name="Download PDF").wait_for(timeout=6_000)
