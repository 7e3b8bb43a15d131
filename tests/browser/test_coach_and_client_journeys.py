"""A coach's and a client's journeys through coachapp in a real browser.

Each test is one journey a person makes, driven through headless Chromium as they would
drive it: signing in, filling in forms by their labels, pressing buttons by their names,
downloading files and reading the e-mails that arrive. Only the first account (and, for
the client's journey, what the coach had already written) is put in the database by hand;
everything else goes through the pages, with CSRF on and mail going to a real SMTP server.

Every page also listens to the browser console: a Content Security Policy violation (an
inline script or style the policy refuses) is a bug a user would meet as a dead button or
an unstyled page, so any such message fails the journey.
"""

import io
import re
import time
import zipfile
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.conftest import screenshot, sign_in
from tests.factories import (
    PASSWORD,
    make_client,
    make_coach,
    make_coaching_session,
    make_sent_letter,
)

COACH_EMAIL = "coach@example.com"
CLIENT_EMAIL = "anna.berg@example.com"
CLIENT_PASSWORD = "quiet mornings by the harbour"
# What the coach writes in place of the starter template's [[prompt]].
OWN_WORDS = "When my son was two, I shouted at him over a spilled cup and cried afterwards."
GROW = "GROW: Goal, Reality, Options, Way forward"
GOAL = "Sleep through bedtime without shouting."
MAIL_WAIT_SECONDS = 60  # a PDF is rendered before each letter e-mail leaves


# Helpers ---------------------------------------------------------------------------------


def watch_console(page: Page) -> list[str]:
    """Collect the page's console errors and uncaught script errors as they happen."""
    errors: list[str] = []

    def keep(message) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", keep)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    return errors


def csp_violations(errors: list[str]) -> list[str]:
    return [text for text in errors if "Content Security Policy" in text]


def pdf_text(document: bytes) -> str:
    """All the text of a PDF, as a reader's copy-and-paste would give it."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(document)).pages)


def one_line(text: str) -> str:
    """Text with every run of white space as one space (a PDF breaks lines where it likes)."""
    return re.sub(r"\s+", " ", text)


def download(page: Page, action) -> tuple[str, bytes]:
    """Do ``action`` (a click or key press that starts a download); the file's name and bytes."""
    with page.expect_download() as info:
        action()
    downloaded = info.value
    path = downloaded.path()
    return downloaded.suggested_filename, path.read_bytes()


def wait_for_mail(mail_server, count: int) -> list:
    """The messages once ``count`` have arrived (delivery runs after the response is sent)."""
    deadline = time.monotonic() + MAIL_WAIT_SECONDS
    while len(mail_server.messages) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(mail_server.messages) == count, [m["Subject"] for m in mail_server.messages]
    return mail_server.messages


# 1. The coach's day ----------------------------------------------------------------------


def test_a_coach_writes_a_letter_after_a_session_and_sends_it(prepare, new_page, mail_server):
    with prepare():
        make_coach()
    page = new_page()
    console = watch_console(page)

    sign_in(page, COACH_EMAIL, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Clients", exact=True)).to_be_visible()

    # A new client, with her e-mail address and her son.
    page.get_by_role("link", name="Clients", exact=True).click()
    page.get_by_role("link", name="Add a client").first.click()
    page.get_by_label("First name").first.fill("Anna")
    page.get_by_label("Last name").fill("Berg")
    page.get_by_role("textbox", name="E-mail").fill(CLIENT_EMAIL)
    page.get_by_role("group", name="Child 1").get_by_label("First name").fill("Oskar")
    page.get_by_role("group", name="Child 1").get_by_label("Year of birth").fill("2021")
    page.get_by_role("button", name="Add client").click()
    expect(page.get_by_text("Anna Berg has been added to your clients.")).to_be_visible()
    expect(page.get_by_role("heading", level=1, name="Anna Berg")).to_be_visible()
    expect(page.get_by_role("region", name="Children")).to_contain_text("Oskar")

    # A session, its private notes started from the GROW template.
    page.get_by_role("link", name="Log a session").last.click()
    # Started from her page, the form already names her.
    expect(page.get_by_label("Client", exact=True).locator("option:checked")).to_have_text(
        "Anna Berg"
    )
    page.get_by_label("Format").select_option(label="Video")
    page.get_by_label("Starts").fill("10:00")
    page.get_by_label("Ends").fill("11:00")
    page.get_by_label("Note template").select_option(label=GROW)
    page.get_by_role("button", name="Insert template").click()
    notes = page.get_by_label("Private notes")
    expect(notes).to_have_value(re.compile(r"^## Goal\n.*## Way forward", re.DOTALL))
    # The template's headings stay; the coach writes under the first one.
    notes.fill(notes.input_value().replace("## Goal\n", f"## Goal\n{GOAL}\n", 1))
    page.get_by_label("Summary for the client").fill(
        "We talked about bedtimes with Oskar and the guilt after a hard evening."
    )
    page.get_by_label("Next step").first.fill("Read one story together before the lights go out")
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_text("Session saved.")).to_be_visible()
    expect(page.get_by_role("region", name="Private notes")).to_contain_text(GOAL)
    expect(page.get_by_role("region", name="Action items")).to_contain_text(
        "Read one story together before the lights go out"
    )

    # A letter from that session, from the starter template.
    page.get_by_role("link", name="Write a letter").click()
    page.get_by_label("You are the parent your child needs").check()
    page.get_by_role("button", name="Start writing").click()
    expect(page.get_by_text("Your draft is ready.")).to_be_visible()
    body = page.get_by_label("Letter", exact=True)
    expect(body).to_have_value(re.compile(r"^Dear Anna,"))
    expect(page.get_by_text("Still to fill in before approving:")).to_be_visible()
    marker = re.search(r"\[\[[^\]]+\]\]", body.input_value()).group(0)
    body.fill(body.input_value().replace(marker, OWN_WORDS))
    # The notice goes as soon as the last marker is gone (the editor's script).
    expect(page.get_by_text("Still to fill in before approving:")).to_be_hidden()

    # The preview beside the editor shows the letter as it will print, own words included.
    page.get_by_role("button", name="Preview").click()
    preview = page.frame_locator("iframe[title='The letter as it prints']")
    expect(preview.get_by_text(OWN_WORDS)).to_be_visible()
    expect(preview.get_by_text("Dear Anna,")).to_be_visible()
    screenshot(page, "coach-letter-editor")

    page.get_by_role("button", name="Save and close").click()
    expect(page.get_by_text("Saved as revision")).to_be_visible()
    letter = page.get_by_role("article", name="The letter")
    expect(letter).to_contain_text(OWN_WORDS)
    expect(letter).to_contain_text("You are the right parent for Oskar")

    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Approved. It is ready to send to the client.")).to_be_visible()

    # The PDF on the letterhead: the client's name and the coach's own words.
    filename, document = download(page, page.get_by_role("link", name="Download PDF").click)
    assert filename.endswith(".pdf"), filename
    text = one_line(pdf_text(document))
    assert "Dear Anna," in text
    assert one_line(OWN_WORDS) in text
    assert GOAL not in text  # private notes never reach the client

    # Sending: one e-mail to Anna, the PDF attached, and the page says where it went.
    page.get_by_label("Personal message").fill("Here is the letter I promised. Maya")
    page.get_by_role("button", name="Send to client").click()
    expect(page.get_by_text(f"The letter is on its way to {CLIENT_EMAIL}.")).to_be_visible()
    expect(page.get_by_text(f"Sent to {CLIENT_EMAIL} on")).to_be_visible()
    expect(page.get_by_role("button", name="Send to client")).to_have_count(0)

    (message,) = wait_for_mail(mail_server, 1)
    assert message["To"] == CLIENT_EMAIL
    assert "You are the parent your child needs" in message["Subject"]
    assert "Here is the letter I promised." in message.get_body(("plain",)).get_content()
    attachments = [part for part in message.iter_attachments()]
    assert [part.get_content_type() for part in attachments] == ["application/pdf"]
    assert one_line(OWN_WORDS) in one_line(pdf_text(attachments[0].get_content()))

    # Once delivered, the letter page says so.
    page.reload()
    expect(page.locator(".delivery")).to_contain_text("Sent")
    assert not csp_violations(console), console


# 2. The client's side --------------------------------------------------------------------

LETTER_SUBJECT = "After our first session"
LETTER_LINE = "Write down one moment each day when Oskar laughed."
SUMMARY = "We talked about the evenings, and about asking for help."
PRIVATE = "PRIVATE: worried about her own mother's judgement."


def test_a_client_accepts_the_invitation_reads_and_downloads_her_letter_and_consents(
    prepare, new_page, mail_server
):
    # What the coach had already done: a session, and a letter sent three days ago.
    with prepare():
        coach = make_coach()
        anna = make_client(
            coach, "Anna", last_name="Berg", email=CLIENT_EMAIL, children=[("Oskar", 2021)]
        )
        make_coaching_session(anna, days_ago=4, summary=SUMMARY, private_notes=PRIVATE)
        # As the letter pages leave it: approved (which keeps a revision to consent to),
        # then sent three days ago.
        make_sent_letter(
            anna,
            sent_at=datetime.now(UTC) - timedelta(days=3),
            subject=LETTER_SUBJECT,
            body=f"Dear Anna,\n\nThank you for Tuesday.\n\n{LETTER_LINE}\n\nWith warmth,\n\nMaya",
        )

    # The coach invites Anna to the portal from her page.
    coach_page = new_page()
    coach_console = watch_console(coach_page)
    sign_in(coach_page, COACH_EMAIL, PASSWORD)
    coach_page.get_by_role("link", name="Clients", exact=True).click()
    coach_page.get_by_role("link", name="Anna Berg").click()
    expect(coach_page.get_by_text("Not invited yet.")).to_be_visible()
    coach_page.get_by_role("button", name="Invite to the portal").click()
    expect(coach_page.get_by_text(f"Invitation on its way to {CLIENT_EMAIL}.")).to_be_visible()
    expect(coach_page.get_by_text("Invited; no password chosen yet.")).to_be_visible()

    # Anna opens the link in the e-mail.
    (invitation,) = wait_for_mail(mail_server, 1)
    assert invitation["To"] == CLIENT_EMAIL
    plain = invitation.get_body(("plain",)).get_content()
    assert plain.startswith("Hello Anna,"), plain
    link = re.search(r"http://127\.0\.0\.1:\d+/invitation#[\w-]+", plain).group(0)
    page = new_page()
    console = watch_console(page)
    page.goto(link)
    expect(page.get_by_role("heading", name="Welcome, Anna Berg")).to_be_visible()
    expect(page.get_by_text(f"Choose a password for {CLIENT_EMAIL}")).to_be_visible()
    # The page's script handed the token (after "#") to coachapp and took it out of the
    # address bar; no request carried it.
    assert page.url.endswith("/invitation") and link.split("#")[1] not in page.content()

    # A guessable password is refused with the reason; a long phrase is accepted.
    page.get_by_label("New password").fill("anna berg 2021")
    page.get_by_label("Type it again").fill("anna berg 2021")
    page.get_by_role("button", name="Set my password").click()
    expect(page.locator(".errors")).to_be_visible()
    expect(page.get_by_label("New password")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("New password").fill(CLIENT_PASSWORD)
    page.get_by_label("Type it again").fill(CLIENT_PASSWORD)
    page.get_by_role("button", name="Set my password").click()

    # Signed in, in her portal: her letter and her session summary, never the private notes.
    expect(page.get_by_text("Your password is set. Welcome!")).to_be_visible()
    expect(page.get_by_role("heading", level=1, name="Hello, Anna")).to_be_visible()
    expect(page.get_by_text(SUMMARY)).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("PRIVATE")
    screenshot(page, "client-portal")

    # Reading the letter online.
    page.get_by_role("link", name=LETTER_SUBJECT).click()
    expect(page.get_by_role("heading", level=1, name=LETTER_SUBJECT)).to_be_visible()
    expect(page.get_by_text(LETTER_LINE)).to_be_visible()

    # Downloading it: the letter's PDF, named without her name.
    filename, document = download(page, page.get_by_role("link", name="Download as PDF").click)
    assert filename.endswith(".pdf") and "anna" not in filename.lower(), filename
    assert LETTER_LINE in one_line(pdf_text(document))

    # Download everything: one zip, with an index, the letter and the session.
    filename, archive_bytes = download(
        page, page.get_by_role("link", name="Download everything").first.click
    )
    assert filename.endswith(".zip") and "anna" not in filename.lower(), filename
    archive = zipfile.ZipFile(io.BytesIO(archive_bytes))
    names = archive.namelist()
    assert "index.html" in names
    letters = [name for name in names if name.startswith("letters/") and name.endswith(".pdf")]
    sessions = [name for name in names if name.startswith("sessions/") and name.endswith(".pdf")]
    assert len(letters) == 1 and len(sessions) == 1, names
    assert LETTER_LINE in one_line(pdf_text(archive.read(letters[0])))
    assert "PRIVATE" not in one_line(pdf_text(archive.read(sessions[0])))

    # Agreeing to the letter being shared: "I agree" without the tick is stopped by the
    # browser (the box is required), and nothing is recorded.
    agree = page.get_by_label("I agree that this letter may be published")
    page.get_by_role("button", name="I agree").click()
    assert agree.evaluate("box => box.validity.valueMissing")
    expect(page.get_by_text("Thank you.")).to_have_count(0)
    agree.check()
    page.get_by_role("button", name="I agree").click()
    expect(page.get_by_text("Thank you. Your coach may now share this letter")).to_be_visible()
    sharing = page.get_by_role("region", name="Sharing this letter with other parents")
    expect(sharing).to_contain_text("You agreed on")
    expect(sharing.get_by_role("button", name="Withdraw my consent")).to_be_visible()

    # The coach sees her consent on the letter's page.
    coach_page.goto("/letters/")
    coach_page.get_by_role("link", name=re.compile("Anna Berg|" + LETTER_SUBJECT)).first.click()
    expect(coach_page.get_by_text("Consent given")).to_be_visible()
    expect(coach_page.get_by_role("link", name="Publish as a post…")).to_be_visible()

    assert not csp_violations(console + coach_console), console + coach_console


# 3. The same day, with the keyboard alone ---------------------------------------------------

# What a screen reader would announce for the focused element, roughly: its label, its
# aria-label or its text; with its tag and type to tell a text box from a radio button.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
  const name = el.getAttribute("aria-label") || label || el.innerText || el.value || "";
  return {tag: el.tagName.toLowerCase(), type: el.type || "", id: el.id,
          name: name.replace(/\\s+/g, " ").trim()};
}"""
FOCUS_RING = """() => {
  const style = getComputedStyle(document.activeElement);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  return outline || style.boxShadow !== "none";
}"""
MAX_TABS = 80


def focused(page: Page) -> dict | None:
    return page.evaluate(FOCUSED)


def is_a(element: dict, tag: str) -> bool:
    """``tag`` "button" also means <input type=submit>, as WTForms draws its buttons."""
    if tag == "button" and element["tag"] == "input":
        return element["type"] in ("submit", "button")
    return element["tag"] == tag


def tab_to(page: Page, name: str, tag: str | None = None, backwards: bool = False) -> dict:
    """Press Tab (or Shift+Tab) until the element named ``name`` has the focus."""
    seen = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        element = focused(page)
        if element and element["name"] == name and (tag is None or is_a(element, tag)):
            return element
        seen.append(element and element["name"])
    raise AssertionError(f"{name!r} never took the focus in {MAX_TABS} presses; saw {seen}")


def press_and_wait(page: Page, key: str = "Enter") -> None:
    """Press a key that follows a link or submits a form, and wait for the next page."""
    with page.expect_navigation():
        page.keyboard.press(key)


def test_the_coach_journey_works_with_the_keyboard_alone(prepare, new_page):
    with prepare():
        make_coach()
    # en-US: the date and time fields take their digits in a known order.
    page = new_page(locale="en-US")
    console = watch_console(page)
    keyboard = page.keyboard

    page.goto("/login")
    tab_to(page, "E-mail")
    keyboard.type(COACH_EMAIL)
    tab_to(page, "Password")
    keyboard.type(PASSWORD)
    press_and_wait(page)  # Enter in a field submits the form
    expect(page.get_by_role("link", name="Clients", exact=True)).to_be_visible()

    # The focused link shows where the keyboard is.
    tab_to(page, "Clients", tag="a")
    assert page.evaluate(FOCUS_RING), "a focused link has no visible focus indicator"
    press_and_wait(page)
    tab_to(page, "Add a client", tag="a")
    press_and_wait(page)

    expect(page.get_by_role("heading", name="Add a client")).to_be_visible()
    tab_to(page, "First name")
    keyboard.type("Anna")
    tab_to(page, "Last name")
    keyboard.type("Berg")
    tab_to(page, "E-mail", tag="input")
    keyboard.type(CLIENT_EMAIL)
    child = tab_to(page, "First name")  # the first child's row comes after the contact details
    assert child["id"].startswith("children-"), child
    keyboard.type("Oskar")
    tab_to(page, "Year of birth")
    keyboard.type("2021")
    tab_to(page, "Add client", tag="button")
    assert page.evaluate(FOCUS_RING), "a focused button has no visible focus indicator"
    press_and_wait(page)
    expect(page.get_by_text("Anna Berg has been added to your clients.")).to_be_visible()
    expect(page.get_by_role("region", name="Children")).to_contain_text("Oskar")

    # Past the menu's "Log a session" to the button on her page, which names her.
    tab_to(page, "Log a session", tag="a")
    tab_to(page, "Log a session", tag="a")
    press_and_wait(page)
    expect(page.get_by_role("heading", name="Log a session")).to_be_visible()
    expect(page.get_by_label("Client", exact=True).locator("option:checked")).to_have_text(
        "Anna Berg"
    )
    tab_to(page, "Starts")
    keyboard.type("1000AM")
    tab_to(page, "Ends")
    keyboard.type("1100AM")
    expect(page.get_by_label("Starts")).to_have_value("10:00")
    expect(page.get_by_label("Ends")).to_have_value("11:00")
    tab_to(page, "Note template")
    keyboard.type("GROW")  # a closed list picks the option whose name starts so
    expect(page.get_by_label("Note template").locator("option:checked")).to_have_text(GROW)
    tab_to(page, "Insert template", tag="button")
    press_and_wait(page)
    expect(page.get_by_label("Private notes")).to_have_value(re.compile(r"^## Goal\n"))
    # The page came back with everything in it; the focus starts again at the top.
    expect(page.get_by_label("Starts")).to_have_value("10:00")
    expect(page.get_by_label("Client", exact=True).locator("option:checked")).to_have_text(
        "Anna Berg"
    )
    tab_to(page, "Summary for the client")
    keyboard.type("We talked about bedtimes and the guilt after a hard evening.")
    tab_to(page, "Next step")
    keyboard.type("Read one story together before the lights go out")
    tab_to(page, "Save session", tag="button")
    press_and_wait(page)
    expect(page.get_by_text("Session saved.")).to_be_visible()
    expect(page.get_by_role("region", name="Action items")).to_contain_text(
        "Read one story together"
    )

    tab_to(page, "Write a letter", tag="a")
    press_and_wait(page)
    # Arrow keys move through the radio buttons of a group, choosing as they go.
    # Tab enters the group of templates once (on its first choice).
    start = tab_to(page, "Following up on our next steps", tag="input")
    assert start["type"] == "radio", start
    for _ in range(5):
        keyboard.press("ArrowDown")
        if focused(page)["name"] == "You are the parent your child needs":
            break
    expect(page.get_by_label("You are the parent your child needs")).to_be_checked()
    tab_to(page, "Start writing", tag="button")
    press_and_wait(page)
    expect(page.get_by_text("Your draft is ready.")).to_be_visible()

    # In the letter, move the caret to the [[prompt]], select it and type over it.
    tab_to(page, "Letter", tag="textarea")
    keyboard.press("Control+Home")
    body = page.get_by_label("Letter", exact=True)
    marker = re.search(r"\[\[[^\]]+\]\]", body.input_value()).group(0)
    for _ in range(200):
        if page.evaluate(
            "() => { const t = document.activeElement;"
            " return t.value.startsWith('[[', t.selectionStart); }"
        ):
            break
        keyboard.press("ArrowDown")
    for _ in marker:
        keyboard.press("Shift+ArrowRight")
    assert (
        page.evaluate(
            "() => { const t = document.activeElement;"
            " return t.value.slice(t.selectionStart, t.selectionEnd); }"
        )
        == marker
    )
    keyboard.type(OWN_WORDS)
    expect(page.get_by_text("Still to fill in before approving:")).to_be_hidden()
    tab_to(page, "Save and close", tag="button")
    press_and_wait(page)
    expect(page.get_by_text("Saved as revision")).to_be_visible()
    expect(page.get_by_role("article", name="The letter")).to_contain_text(OWN_WORDS)

    tab_to(page, "Approve", tag="button")
    press_and_wait(page)
    expect(page.get_by_text("Approved. It is ready to send to the client.")).to_be_visible()
    expect(page.get_by_role("button", name="Send to client")).to_be_visible()
    assert not csp_violations(console), console
