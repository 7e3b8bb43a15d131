"""A family kept apart, in a real browser: separated parents who each read only their own
and their joint records.

One journey, as the coach and both parents make it through the pages: the coach adds Marc
to Sofia's family and keeps them apart, invites him to the portal, logs a joint session and
one with Sofia alone, and sends them a joint letter. Marc reads what is his and joint, and
never Sofia's session alone or her contact details: not on a page, in a PDF or in the
archive of everything. Only the coach's account, Sofia's family (of one adult) and her
portal sign-in are put in the database by hand.
"""

import io
import re
import time
import zipfile

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_coach_and_client_journeys import (
    csp_violations,
    download,
    one_line,
    pdf_text,
    watch_console,
)
from tests.factories import PASSWORD, make_client, make_client_login, make_coach

COACH_EMAIL = "coach@example.com"
SOFIA_EMAIL = "sofia.marin@example.com"
SOFIA_PHONE = "+44 7700 900123"
MARC_EMAIL = "marc.duval@example.com"
MARC_PHONE = "+44 7700 900456"
MARC_PASSWORD = "long walks along the canal on sundays"

JOINT_SUMMARY = "We agreed how Lena moves between your two homes on Fridays."
JOINT_STEP = "Keep one shared calendar for Lena's week"
SOFIA_SUMMARY = "On your own, you spoke about the evenings after the handover."
SOFIA_STEP = "Write down one evening a week that went well"
LETTER_SUBJECT = "Lena's two homes"
LETTER_LINE = "Lena knows where she sleeps each night, and that is your shared work."
SOFIA_CONSENT_NOTE = "E-mail of 3 December: happy for it to be shared without names."
WAITING_FOR_MARC = (
    "Publishing needs the consent of everyone the letter is written to: "
    "Marc Duval has not agreed yet."
)
POST_TITLE = "Two homes, one calendar"


# Each letter e-mail carries a PDF rendered after the response; on a busy machine two of
# them take longer than a page does.
MAIL_WAIT_SECONDS = 60


# Helpers ---------------------------------------------------------------------------------


def wait_for_mail(mail_server, count: int) -> list:
    """The messages once ``count`` have arrived."""
    deadline = time.monotonic() + MAIL_WAIT_SECONDS
    while len(mail_server.messages) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(mail_server.messages) == count, [m["Subject"] for m in mail_server.messages]
    return mail_server.messages


def sofia_details(text: str) -> list[str]:
    """Whichever of Sofia's contact details appear in ``text`` (a phone also without spaces,
    as a tel: link writes it)."""
    details = [SOFIA_EMAIL, SOFIA_PHONE, SOFIA_PHONE.replace(" ", "")]
    return [detail for detail in details if detail in text]


def archive_text(archive_bytes: bytes) -> str:
    """Every member of a zip as text: PDFs as a reader would copy them, the rest decoded."""
    texts = []
    with zipfile.ZipFile(io.BytesIO(archive_bytes)) as archive:
        for name in archive.namelist():
            member = archive.read(name)
            texts.append(
                one_line(pdf_text(member)) if name.endswith(".pdf") else member.decode()
            )
    return "\n".join(texts)


def log_session(page: Page, start: str, attended: list[str], summary: str, step: str, step_for):
    """Log a session of Sofia's family from her page (the form opens with her family)."""
    page.get_by_role("link", name="Log a session").last.click()
    expect(page.get_by_role("heading", level=1, name="Log a session")).to_be_visible()
    # Kept apart: a session is read only by those who attended it, never shared beyond.
    expect(page.get_by_role("group", name="Also share the summary with")).to_have_count(0)
    expect(page.get_by_text("Sofia and Marc are kept apart")).to_be_visible()
    who = page.get_by_role("group", name="Who attended")
    for name in ("Sofia Marin", "Marc Duval"):
        box = who.get_by_label(name)
        box.check() if name in attended else box.uncheck()
    page.get_by_label("Starts").fill(start)
    page.get_by_label("Ends").fill(start.replace(":00", ":50"))
    page.get_by_label("Summary for the client").fill(summary)
    page.get_by_label("Next step").first.fill(step)
    page.get_by_label("For", exact=True).first.select_option(label=step_for)
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_text("Session saved.")).to_be_visible()
    expect(page.get_by_role("region", name="Action items")).to_contain_text(step)
    page.get_by_role("link", name="Sofia Marin and Marc Duval").first.click()


# The journey -----------------------------------------------------------------------------


def test_separated_parents_each_read_only_their_own_and_joint_records_and_both_must_agree(
    prepare, new_page, live_server, mail_server
):
    with prepare():
        coach = make_coach()
        sofia_family = make_client(
            coach, "Sofia", last_name="Marin", email=SOFIA_EMAIL, phone=SOFIA_PHONE,
            children=[("Lena", 2019)],
        )
        make_client_login(sofia_family)

    # 1. The coach adds Marc to the family, kept apart from Sofia, and invites him.
    coach_page = new_page()
    coach_console = watch_console(coach_page)
    sign_in(coach_page, COACH_EMAIL, PASSWORD)
    coach_page.get_by_role("link", name="Clients", exact=True).click()
    coach_page.get_by_role("link", name="Sofia Marin").click()
    coach_page.get_by_role("link", name="Add another adult").click()
    expect(coach_page.get_by_role("heading", name="Add an adult to the family")).to_be_visible()
    coach_page.get_by_label("First name").fill("Marc")
    coach_page.get_by_label("Last name").fill("Duval")
    coach_page.get_by_label("Relationship to the children").fill("Father")
    coach_page.get_by_role("textbox", name="E-mail").fill(MARC_EMAIL)
    coach_page.get_by_role("textbox", name="Phone").fill(MARC_PHONE)
    coach_page.get_by_label("Keep the adults apart").check()
    coach_page.get_by_role("button", name="Add to the family").click()
    expect(coach_page.get_by_text("Marc Duval is now part of the family.")).to_be_visible()
    family_heading = coach_page.get_by_role("heading", level=1, name="Sofia Marin and Marc Duval")
    expect(family_heading).to_be_visible()
    kept_apart = coach_page.get_by_role("region", name="What each adult sees")
    expect(kept_apart).to_contain_text("Sofia and Marc are kept apart.")
    expect(kept_apart.get_by_role("button", name="Stop keeping them apart")).to_be_visible()
    marc_panel = coach_page.get_by_role("region", name="Marc Duval")
    expect(marc_panel).to_contain_text("Father")
    expect(marc_panel).to_contain_text(MARC_PHONE)
    expect(marc_panel).to_contain_text("Not invited yet.")
    screenshot(coach_page, "family-kept-apart")

    marc_panel.get_by_role("button", name="Invite to the portal").click()
    expect(coach_page.get_by_text(f"Invitation on its way to {MARC_EMAIL}.")).to_be_visible()
    expect(coach_page.get_by_role("region", name="Marc Duval")).to_contain_text(
        "Invited; no password chosen yet."
    )

    (invitation,) = wait_for_mail(mail_server, 1)
    assert invitation["To"] == MARC_EMAIL and invitation["Cc"] is None
    plain = invitation.get_body(("plain",)).get_content()
    assert plain.startswith("Hello Marc,"), plain
    assert not sofia_details(plain), plain
    link = re.search(r"http://127\.0\.0\.1:\d+/invitation#[\w-]+", plain).group(0)
    marc_page = new_page()
    marc_console = watch_console(marc_page)
    marc_page.goto(link)
    expect(marc_page.get_by_role("heading", name="Welcome, Marc Duval")).to_be_visible()
    marc_page.get_by_label("New password").fill(MARC_PASSWORD)
    marc_page.get_by_label("Type it again").fill(MARC_PASSWORD)
    marc_page.get_by_role("button", name="Set my password").click()
    expect(marc_page.get_by_text("Your password is set. Welcome!")).to_be_visible()
    expect(marc_page.get_by_role("heading", level=1, name="Hello, Marc")).to_be_visible()
    expect(marc_page.get_by_text("Nothing shared with you yet")).to_be_visible()
    marc_page.get_by_role("button", name="Sign out").click()

    # 2. A joint session with a step for the family, and one with Sofia alone.
    coach_page.reload()
    expect(coach_page.get_by_role("region", name="Marc Duval")).to_contain_text(
        f"Signs in as {MARC_EMAIL}"
    )
    log_session(
        coach_page, "09:00", ["Sofia Marin", "Marc Duval"], JOINT_SUMMARY, JOINT_STEP,
        "The family",
    )
    log_session(coach_page, "14:00", ["Sofia Marin"], SOFIA_SUMMARY, SOFIA_STEP, "Sofia")

    # 3. A joint letter, to both of them: an e-mail each, to them alone.
    coach_page.get_by_role("link", name="Write a letter").click()
    to = coach_page.get_by_role("group", name="To")
    to.get_by_label("Sofia Marin").check()
    to.get_by_label("Marc Duval").check()
    coach_page.get_by_label("The session it follows").select_option(label="No particular session")
    coach_page.get_by_label("A blank letter").check()
    coach_page.get_by_role("button", name="Start writing").click()
    expect(coach_page.get_by_text("Your draft is ready.")).to_be_visible()
    coach_page.get_by_label("Subject").fill(LETTER_SUBJECT)
    coach_page.get_by_label("Letter", exact=True).fill(
        f"Dear Sofia and Marc,\n\n{LETTER_LINE}\n\nWith warmth,\n\nMaya"
    )
    coach_page.get_by_role("button", name="Save and close").click()
    expect(coach_page.get_by_text("Saved as revision")).to_be_visible()
    coach_page.get_by_role("button", name="Approve").click()
    expect(coach_page.get_by_text("Approved. It is ready to send to the client.")).to_be_visible()
    send = coach_page.get_by_role("region", name="Send to Sofia Marin and Marc Duval")
    expect(send).to_contain_text("each in an e-mail of their own")
    send.get_by_label("Personal message").fill("The letter about Friday handovers. Maya")
    send.get_by_role("button", name="Send to client").click()
    expect(coach_page.get_by_text("The letter is on its way to")).to_be_visible()

    messages = wait_for_mail(mail_server, 3)[1:]
    by_recipient = {message["To"]: message for message in messages}
    assert sorted(by_recipient) == sorted([SOFIA_EMAIL, MARC_EMAIL]), list(by_recipient)
    for recipient, message in by_recipient.items():
        other = MARC_EMAIL if recipient == SOFIA_EMAIL else SOFIA_EMAIL
        assert message["Cc"] is None and message["Bcc"] is None, recipient
        assert message["Subject"] == LETTER_SUBJECT
        body = message.get_body(("plain",)).get_content()
        assert "The letter about Friday handovers." in body
        assert other not in body, (recipient, body)
        (attachment,) = message.iter_attachments()
        assert LETTER_LINE in one_line(pdf_text(attachment.get_content()))
    marc_mail = by_recipient[MARC_EMAIL]
    assert not sofia_details(marc_mail.get_body(("plain",)).get_content())
    assert not sofia_details(one_line(pdf_text(next(marc_mail.iter_attachments()).get_content())))

    # 4. Marc reads what is his and joint, and nothing of Sofia's own.
    sign_in(marc_page, MARC_EMAIL, MARC_PASSWORD)
    expect(marc_page.get_by_role("heading", level=1, name="Hello, Marc")).to_be_visible()
    main = marc_page.locator("main")
    expect(main).to_contain_text(JOINT_SUMMARY)
    expect(main).to_contain_text(JOINT_STEP)
    expect(main).not_to_contain_text(SOFIA_SUMMARY)
    expect(main).not_to_contain_text(SOFIA_STEP)
    expect(marc_page.get_by_role("link", name=LETTER_SUBJECT)).to_be_visible()
    # He may tick the family's step as done.
    marc_page.get_by_role("button", name=f"Mark as done: {JOINT_STEP}").click()
    expect(marc_page.get_by_role("button", name=f"Mark as not done: {JOINT_STEP}")).to_be_visible()
    assert not sofia_details(marc_page.content())
    screenshot(marc_page, "family-kept-apart-portal")

    _name, session_pdf = download(
        marc_page, marc_page.get_by_role("link", name="Download as PDF").last.click
    )
    session_text = one_line(pdf_text(session_pdf))
    assert JOINT_SUMMARY in session_text and SOFIA_SUMMARY not in session_text
    assert not sofia_details(session_text), session_text

    marc_page.get_by_role("navigation", name="Main").get_by_role("link", name="Letters").click()
    expect(marc_page.get_by_role("link", name=LETTER_SUBJECT)).to_have_count(1)
    assert not sofia_details(marc_page.content())
    marc_page.get_by_role("link", name=LETTER_SUBJECT).click()
    expect(marc_page.get_by_role("heading", level=1, name=LETTER_SUBJECT)).to_be_visible()
    expect(marc_page.get_by_text(LETTER_LINE)).to_be_visible()
    assert not sofia_details(marc_page.content())
    screenshot(marc_page, "family-kept-apart-letter")

    _name, letter_pdf = download(
        marc_page, marc_page.get_by_role("link", name="Download as PDF").click
    )
    letter_text = one_line(pdf_text(letter_pdf))
    assert "Sofia Marin" in letter_text and "Marc Duval" in letter_text, letter_text
    assert LETTER_LINE in letter_text
    # A joint letter of a family kept apart names both and gives neither's address.
    assert SOFIA_EMAIL not in letter_text and MARC_EMAIL not in letter_text, letter_text
    assert not sofia_details(letter_text), letter_text

    _name, archive_bytes = download(
        marc_page,
        marc_page.get_by_role("navigation", name="Main")
        .get_by_role("link", name="Download everything").click,
    )
    everything = archive_text(archive_bytes)
    assert JOINT_SUMMARY in one_line(everything) and LETTER_LINE in one_line(everything)
    assert SOFIA_SUMMARY not in one_line(everything) and SOFIA_STEP not in one_line(everything)
    assert not sofia_details(everything), sofia_details(everything)

    marc_page.goto("/portal/activity")
    expect(marc_page.get_by_role("heading", level=1)).to_be_visible()
    assert not sofia_details(marc_page.content())

    # 5. The joint letter goes on the blog only once both have agreed.
    coach_page.reload()
    letter_path = coach_page.url.split("#")[0].removeprefix(live_server.url)
    sharing = coach_page.get_by_role("region", name="Sharing on the blog")
    expect(sharing).to_contain_text("shared only while everyone it is written to agrees")
    sharing.get_by_text("Record consent given by e-mail or in person").click()
    sharing.get_by_role("group", name="Who agreed?").get_by_label("Sofia Marin").check()
    sharing.get_by_label("By e-mail").check()
    sharing.get_by_label("Note").first.fill(SOFIA_CONSENT_NOTE)
    sharing.get_by_role("button", name="Record consent").click()
    expect(coach_page.get_by_text(f"Consent recorded. {WAITING_FOR_MARC}")).to_be_visible()
    sharing = coach_page.get_by_role("region", name="Sharing on the blog")
    expect(sharing.get_by_role("link", name="Publish as a post…")).to_have_count(0)
    expect(sharing).to_contain_text(WAITING_FOR_MARC)
    # Opened at its own address, making the post is refused too, and says whose consent is
    # missing.
    coach_page.goto(letter_path.replace("/letters/", "/posts/from-letter/"))
    expect(coach_page.get_by_role("alert")).to_contain_text(WAITING_FOR_MARC)
    expect(coach_page.get_by_role("button", name="Make the draft post")).to_have_count(0)
    screenshot(coach_page, "family-kept-apart-publishing-refused")

    # Marc agrees in his portal, and learns nothing of where Sofia stands.
    marc_page.goto("/portal/letters")
    marc_page.get_by_role("link", name=LETTER_SUBJECT).click()
    marc_sharing = marc_page.get_by_role("region", name="Sharing this letter with other parents")
    expect(marc_sharing).to_contain_text("written to you jointly")
    expect(marc_sharing).not_to_contain_text("Sofia")
    marc_page.get_by_label("I agree that this letter may be published").check()
    marc_page.get_by_role("button", name="I agree").click()
    # Sofia has agreed already; the thanks he reads do not give that away.
    expect(marc_page.get_by_text("once everyone it is written to agrees")).to_be_visible()
    expect(marc_sharing).to_contain_text("You agreed on")
    assert not sofia_details(marc_page.content())

    # Now the coach makes the post, anonymised, and publishes it.
    coach_page.goto(letter_path)
    sharing = coach_page.get_by_role("region", name="Sharing on the blog")
    expect(sharing).not_to_contain_text(WAITING_FOR_MARC)
    sharing.get_by_role("link", name="Publish as a post…").click()
    expect(coach_page.get_by_role("heading", name="Publish a letter as a post")).to_be_visible()
    coach_page.get_by_role("button", name="Make the draft post").click()
    expect(coach_page).to_have_url(re.compile(r"/posts/\d+/edit$"))
    draft = coach_page.get_by_label("Text", exact=True).input_value()
    assert "shared work" in draft and not re.search(r"\b(Sofia|Marc|Lena)\b", draft), draft
    coach_page.get_by_label("Title", exact=True).fill(POST_TITLE)
    coach_page.get_by_role("button", name="Save", exact=True).click()
    expect(coach_page.get_by_text("Post saved.")).to_be_visible()
    coach_page.get_by_role("button", name="Publish", exact=True).click()
    expect(coach_page.get_by_text("Published. The post is on the blog now.")).to_be_visible()
    post_path = coach_page.get_by_role("link", name="read it on the blog").get_attribute("href")

    reader = new_page()
    response = reader.goto(post_path)
    assert response.status == 200
    expect(reader.get_by_role("heading", level=1)).to_have_text(POST_TITLE)
    article = reader.locator("article.post").inner_text()
    assert "shared work" in article, article
    assert not re.search(r"\b(Sofia|Marin|Marc|Duval|Lena)\b", article), article
    assert not sofia_details(reader.content()) and MARC_EMAIL not in reader.content()

    assert not csp_violations(coach_console + marc_console), coach_console + marc_console
