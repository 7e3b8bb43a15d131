"""Telling enrolled adults of new prompts, as each of them chose: an e-mail each day a prompt
arrives, a digest on Monday mornings, or nothing (they read the portal).

The outbox worker announces each round of deliveries; the notices due by then are queued
under a key made of the adult and their local date (or ISO week for the digest), so an adult
following three programmes still gets one e-mail a day at most.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from coachapp.auth.models import User
from coachapp.clients.models import Adult
from coachapp.extensions import db
from coachapp.outbox.services import Email, enqueue_each, message_by_key
from coachapp.outbox.signals import delivery_round_starting
from coachapp.programmes import schedule
from coachapp.programmes.models import Enrolment, EnrolmentStatus, Programme, Prompt, PromptNotice
from coachapp.timeutil import utcnow

log = logging.getLogger(__name__)

NOTICE_KIND = "prompt_notice"
DIGEST_KIND = "prompt_digest"
# Prompts arrive at midnight; nobody should be woken by the e-mail telling of them.
NOTICE_TIME = time(7, 0)
MONDAY = 1
JOURNAL_ENDPOINT = "journal.portal_index"
JOURNAL_FALLBACK_PATH = "/portal/journal"
NOTICE_CHOICES = (
    (PromptNotice.DAILY_EMAIL, "An e-mail each day a prompt arrives"),
    (PromptNotice.WEEKLY_DIGEST, "A weekly digest (Mondays)"),
    (PromptNotice.PORTAL_ONLY, "Only here in the portal"),
)


@dataclass(frozen=True)
class NewPrompt:
    """A prompt that arrived for an adult, and the programme it belongs to."""

    programme: Programme
    prompt: Prompt


@dataclass(frozen=True)
class Notice:
    """One e-mail to one adult, listing the prompts it tells of."""

    adult: Adult
    kind: str
    key: str
    prompts: list[NewPrompt]


def adult_zone(adult: Adult) -> ZoneInfo:
    """Where the adult lives: their portal account's time zone."""
    try:
        return ZoneInfo(adult.user.timezone or "UTC")
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def _enrolments_heard_of_by_mail() -> list[Enrolment]:
    """Running enrolments of adults with an open portal account who want e-mail."""
    return list(
        db.session.scalars(
            select(Enrolment)
            .join(Adult, Adult.id == Enrolment.adult_id)
            .join(User, User.id == Adult.user_id)
            .options(
                joinedload(Enrolment.adult).joinedload(Adult.user),
                joinedload(Enrolment.programme).selectinload(Programme.prompts),
            )
            .where(
                Enrolment.status == EnrolmentStatus.ACTIVE,
                Enrolment.notice != PromptNotice.PORTAL_ONLY,
                User.active.is_(True),
            )
            .order_by(Enrolment.adult_id, Enrolment.id)
        ).unique()
    )


def arrived_between(enrolment: Enrolment, after: date, until: date) -> list[NewPrompt]:
    """The prompts that arrived after the day ``after`` and by the day ``until``."""
    before = schedule.day_reached(enrolment, after)
    reached = schedule.day_reached(enrolment, until)
    return [
        NewPrompt(enrolment.programme, prompt)
        for prompt in enrolment.programme.prompts
        if before < prompt.day <= reached
    ]


def due_notices(now: datetime) -> list[Notice]:
    """Each adult's e-mail due at ``now``: today's prompts, and on Monday the week's digest."""
    by_adult: dict[int, list[Enrolment]] = defaultdict(list)
    for enrolment in _enrolments_heard_of_by_mail():
        by_adult[enrolment.adult_id].append(enrolment)
    notices = []
    for enrolments in by_adult.values():
        adult = enrolments[0].adult
        local = now.astimezone(adult_zone(adult))
        if local.time() < NOTICE_TIME:
            continue
        notices.extend(_notices_for(adult, enrolments, local.date()))
    return notices


def _notices_for(adult: Adult, enrolments: list[Enrolment], today: date) -> list[Notice]:
    daily = [
        new
        for enrolment in enrolments
        if enrolment.notice is PromptNotice.DAILY_EMAIL
        for new in arrived_between(enrolment, today - timedelta(days=1), today)
    ]
    notices = []
    if daily:
        key = f"prompt-notice:{adult.id}:{today.isoformat()}"
        notices.append(Notice(adult, NOTICE_KIND, key, daily))
    if today.isoweekday() == MONDAY:
        weekly = [
            new
            for enrolment in enrolments
            if enrolment.notice is PromptNotice.WEEKLY_DIGEST
            for new in arrived_between(enrolment, today - timedelta(days=7), today)
        ]
        if weekly:
            year, week, _day = today.isocalendar()
            key = f"prompt-digest:{adult.id}:{year}-W{week:02d}"
            notices.append(Notice(adult, DIGEST_KIND, key, weekly))
    return notices


def queue_prompt_notices(now: datetime) -> int:
    """Queue every notice due at ``now`` not queued before; returns how many are new. Flushes."""
    return enqueue_each(
        (notice_email(notice) for notice in due_notices(now)
         if message_by_key(notice.key) is None),
        "prompt notice",
    )


def notice_email(notice: Notice) -> Email:
    """The e-mail: each new prompt's title and first lines, and a link to the journal."""
    adult = notice.adult
    coach = notice.prompts[0].programme.coach
    base = current_app.config["CANONICAL_URL"].rstrip("/")
    context = {
        "adult": adult,
        "coach": coach,
        "digest": notice.kind == DIGEST_KIND,
        "prompts": [
            (new.programme, new.prompt, first_lines(new.prompt.body)) for new in notice.prompts
        ],
        "journal_link": base + journal_path(),
        "settings_link": base + "/portal/settings",
    }
    if notice.kind == DIGEST_KIND:
        subject = "This week's prompts"
    elif len(notice.prompts) == 1:
        subject = f"Today's prompt: {notice.prompts[0].prompt.title}"
    else:
        subject = f"Today's {len(notice.prompts)} prompts"
    return Email(
        kind=notice.kind,
        recipient=adult.email or adult.user.email,
        subject=subject,
        text=render_template("email/prompt_notice.txt", **context),
        html=render_template("email/prompt_notice.html", **context),
        idempotency_key=notice.key,
        coach_id=coach.id,
        reply_to=coach.email,
    )


def journal_path() -> str:
    """The portal's journal, where the prompts are answered."""
    if JOURNAL_ENDPOINT in current_app.view_functions:
        return current_app.url_map.bind("localhost").build(JOURNAL_ENDPOINT)
    return JOURNAL_FALLBACK_PATH


def first_lines(body: str, limit: int = 200) -> str:
    """The opening of a prompt, plain enough for an e-mail: the rest is in the portal."""
    text = " ".join(line.strip("#>*_ ") for line in body.splitlines() if line.strip())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


# The adult's own choice, in the portal


def running_enrolments(adult: Adult) -> list[Enrolment]:
    """The adult's enrolments still running or paused, for the portal's settings."""
    return list(
        db.session.scalars(
            select(Enrolment)
            .options(joinedload(Enrolment.programme))
            .where(
                Enrolment.adult_id == adult.id,
                Enrolment.status != EnrolmentStatus.FINISHED,
            )
            .order_by(Enrolment.start_date, Enrolment.id)
        )
    )


def choose_notices(adult: Adult, chosen: dict[int, str]) -> int:
    """Save the adult's choice for each of their enrolments named in ``chosen``; returns how
    many were saved. Another adult's enrolment, or an unknown choice, is ignored."""
    saved = 0
    for enrolment in running_enrolments(adult):
        value = chosen.get(enrolment.id)
        if value in {choice.value for choice, _label in NOTICE_CHOICES}:
            enrolment.notice = PromptNotice(value)
            saved += 1
    db.session.flush()
    return saved


@delivery_round_starting.connect
def _queue_before_delivering(_app, **_extra) -> None:
    queued = queue_prompt_notices(utcnow())
    if queued:
        log.info("Queued %s prompt notices", queued)
