"""A demo practice: a coach, six families, their children, months of sessions, letters, a blog."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from coachapp.auth.models import Role, User
from coachapp.auth.services import create_coach, get_user_by_email, set_password
from coachapp.blog.demo import SERIES_TITLE, seed_demo_blog
from coachapp.blog.models import Series
from coachapp.blog.series_programmes import programme_from_series, programme_of_series
from coachapp.booking.availability import booking_settings
from coachapp.booking.models import SessionBooking
from coachapp.booking.services import Availability, save_availability
from coachapp.clients.models import Adult, Client
from coachapp.clients.services import (
    AdultData,
    ClientData,
    add_adult,
    archive_client,
    create_client,
    set_keep_apart,
)
from coachapp.coaching.models import ActionItem, CoachingSession, Repeat, SessionFormat
from coachapp.coaching.scheduling import plan_series, series_starts
from coachapp.coaching.services import coach_topics, record_attendance
from coachapp.extensions import db
from coachapp.journal.models import JournalEntry, JournalReply
from coachapp.letters.models import Letter, LetterStatus
from coachapp.letters.services import (
    approve_letter,
    coach_templates,
    draft_letter,
    ensure_starter_templates,
    save_letter,
)
from coachapp.programmes.models import Enrolment, Rhythm
from coachapp.programmes.services import enrol
from coachapp.readers.demo import seed_demo_reader
from coachapp.reminders.services import queue_due_reminders
from coachapp.templating import local_today
from coachapp.timeutil import utcnow

DEMO_COACH_EMAIL = "coach@example.com"
DEMO_COACH_PASSWORD = "demo-coach-password"  # noqa: S105  (printed for demo users)
# The first demo client also gets a portal sign-in, to see coachapp as a parent does.
DEMO_CLIENT_EMAIL = "sofia.marin@example.com"
DEMO_CLIENT_PASSWORD = "demo-client-password"  # noqa: S105  (printed for demo users)
# The separated parents kept apart sign in too, to see what each of them sees of the family.
DEMO_APART_EMAILS = ("claire.bennett@example.com", "luca.romano@example.com")
DEMO_PORTAL_EMAILS = (DEMO_CLIENT_EMAIL, *DEMO_APART_EMAILS)
DEMO_TIMEZONE = "Europe/London"
# Two days' notice: Helen's session tomorrow morning is inside it whatever the hour the demo
# is made (and no other session is), so one reminder is always waiting in the outbox.
DEMO_REMINDER_HOURS = 48
DEMO_ROOM = "Harbour Room, 12 Quay Street, Bristol BS1 4DJ"
DEMO_VIDEO_LINK = "https://meet.example.com/maya-lindqvist"
# When the demo clients may book in the portal: weekday hours in the coach's time zone.
DEMO_BOOKING = Availability(
    enabled=True,
    hours={
        weekday: [(time(9), time(12, 30)), (time(13, 30), time(17))] for weekday in range(4)
    } | {4: [(time(9), time(13))]},
    lengths=[50, 90],
    buffer_minutes=10,
    minimum_notice_hours=24,
    max_sessions_per_day=5,
    days_off=[],
)

COACH_BIO = (
    "I am a parent coach and a mother of two. Before coaching I spent twelve years as a "
    "midwife, and I learned there that most parents who worry they are failing are in fact "
    "doing the quiet, everyday work of loving their children. I help mothers and fathers "
    "put down the guilt they carry and find their own way of being the parent their child needs."
)


@dataclass(frozen=True)
class DemoLogin:
    """A sign-in the demo created, printed for the person trying coachapp."""

    role: str
    email: str
    password: str


@dataclass(frozen=True)
class DemoSession:
    days_from_today: int
    hour: int
    format: SessionFormat
    private_notes: str
    summary: str
    action_items: tuple[str, ...] = ()
    follow_up_in_days: int | None = None
    topics: tuple[str, ...] = ()
    # Who came, by e-mail address; none named means every adult of the family.
    attendees: tuple[str, ...] = ()
    # The e-mail address of the one adult the action items are for; "" for the whole family.
    action_items_for: str = ""
    # Where it takes place: a room's address or a video link.
    location: str = ""
    # How many weekly sessions, this one the first, when it starts a series.
    weekly_count: int = 0
    # Booked by the client in the portal (so they can move or cancel it there).
    booked_in_portal: bool = False


@dataclass(frozen=True)
class DemoClient:
    first_name: str
    last_name: str
    pronouns: str
    email: str
    phone: str
    children: tuple[tuple[str, int], ...]
    situation: str
    goals: str
    preferred_contact: str
    sessions: tuple[DemoSession, ...]
    tags: tuple[str, ...] = ()
    archived: bool = False
    relation_to_children: str = ""
    # The family's other adults, added with it (before its sessions).
    other_adults: tuple[AdultData, ...] = ()
    keep_apart: bool = False


CLAIRE, LUCA = DEMO_APART_EMAILS

DEMO_CLIENTS = (
    DemoClient(
        first_name="Sofia",
        last_name="Marin",
        pronouns="she/her",
        email="sofia.marin@example.com",
        phone="+44 7700 900123",
        children=(("Lena", 2024),),
        situation=(
            "Architect on parental leave with her first child. Her firm has offered her old "
            "role back from September; she loved the work and feels guilty for wanting it."
        ),
        goals="Make a decision about returning to work that she can live with, without guilt.",
        preferred_contact="email",
        tags=("new parent", "returning to work"),
        sessions=(
            DemoSession(
                -70, 10, SessionFormat.VIDEO,
                "First session. Sofia cried when she described dropping Lena at her mother's "
                "for a trial morning. Strong story of 'a good mother stays home' from her own "
                "mother. Values: creativity, being present, financial independence.",
                "We talked about the pull between Lena and the work you love, and how common "
                "that feeling is. You named what matters most to you: being present, creating, "
                "and standing on your own feet.",
                ("Write down three moments this week when you felt most like yourself",
                 "Ask your mother how she felt when she went back to work"),
                topics=("Guilt", "Return to work"),
            ),
            DemoSession(
                -42, 10, SessionFormat.VIDEO,
                "Mother did go back to work part-time when Sofia was three: a revelation. "
                "Explored a four-day week. Guilt quieter today; fear of judgement from friends.",
                "You discovered that your own mother went back to work when you were small, and "
                "that you remember it warmly. We sketched what a four-day week might look like.",
                ("Draft the four-day-week proposal for your firm",),
                topics=("Return to work", "Confidence as a parent"),
            ),
            DemoSession(
                -14, 10, SessionFormat.IN_PERSON,
                "Proposal sent; firm open to it. Sofia worried Lena will 'love the nursery "
                "more'. Reframed attachment research in plain words.",
                "Your proposal is with the firm. We talked about how children thrive with more "
                "than one loving adult around them, and how that does not take anything away "
                "from you.",
                ("Visit the nursery together with Lena", "Book one evening a week just for you"),
                follow_up_in_days=3,
                topics=("Return to work", "Self-care"),
            ),
            DemoSession(
                3, 10, SessionFormat.VIDEO, "", "", location=DEMO_VIDEO_LINK,
                booked_in_portal=True,
            ),
        ),
    ),
    DemoClient(
        first_name="Daniel",
        last_name="Okafor",
        pronouns="he/him",
        email="daniel.okafor@example.com",
        phone="+44 7700 900456",
        children=(("Grace", 2011), ("Samuel", 2014)),
        situation=(
            "Left the family home when Grace was twelve and Samuel nine. Sees them every other "
            "weekend; Grace rarely talks to him. Sober for two years."
        ),
        goals="Rebuild trust with Grace and Samuel, one small step at a time.",
        preferred_contact="phone",
        tags=("co-parenting", "recovery"),
        sessions=(
            DemoSession(
                -84, 18, SessionFormat.PHONE,
                "Carries heavy guilt about leaving and about the drinking years. Wants to "
                "'make it up' with big gestures; Grace pulls back when he does.",
                "We talked about the difference between making it up and showing up: small, "
                "reliable moments that Grace and Samuel can count on.",
                ("Send Grace one short message a week with no question in it",),
                topics=("Guilt", "Separation and custody"),
            ),
            DemoSession(
                -56, 18, SessionFormat.PHONE,
                "Grace answered one message with a photo of her drawing. Daniel nearly cried. "
                "Relapse fear came up: named his support network.",
                "Grace answered you with a drawing. We named the people who support you, and "
                "what you will do on the hard evenings.",
                ("Ask Samuel to choose what you do next weekend",
                 "Call your sponsor before the weekend visits"),
                topics=("Relapse and recovery", "Co-parenting"),
            ),
            DemoSession(
                -21, 18, SessionFormat.VIDEO,
                "Weekend went well; Samuel chose football. Daniel wants to write Grace a letter "
                "about leaving. Discussed timing and not asking for forgiveness.",
                "You had a good weekend with Samuel. We talked about writing to Grace, in your "
                "own words and without asking anything of her.",
                ("Write a first draft of the letter to Grace, and keep it for now",),
                follow_up_in_days=-2,
                topics=("Guilt", "Co-parenting"),
            ),
            # Weekly calls while he writes to Grace.
            DemoSession(
                5, 18, SessionFormat.PHONE, "", "", weekly_count=4,
            ),
        ),
    ),
    DemoClient(
        first_name="Helen",
        last_name="Brooks",
        pronouns="she/her",
        email="helen.brooks@example.com",
        phone="+44 7700 900789",
        children=(("Tom", 2005), ("Ellie", 2009)),
        situation=(
            "Learned this year what Tom went through at his father's house after the divorce, "
            "when he was ten. Feels she should have seen it and calls it her biggest failure."
        ),
        goals="Find a way to talk with Tom about the past, and to forgive herself.",
        preferred_contact="email",
        tags=("co-parenting",),
        sessions=(
            DemoSession(
                -35, 14, SessionFormat.IN_PERSON,
                "Helen replays the custody decision every night. Tom (now 21) has said he does "
                "not blame her. Self-blame very strong; gently explored hindsight bias.",
                "We talked about the decisions you made with what you knew then, and how much "
                "you love Tom today. Tom has told you he does not blame you.",
                ("Each evening, write one thing you did for Tom and Ellie that day",),
                topics=("Guilt", "Separation and custody"),
            ),
            DemoSession(
                -7, 14, SessionFormat.IN_PERSON,
                "Helen and Tom had coffee and talked for two hours. She is sleeping better. "
                "Ellie feels left out; plan a day for the two of them.",
                "You and Tom talked for two hours, and you are sleeping better. We planned "
                "something just for you and Ellie.",
                ("Plan a day out with Ellie",),
                follow_up_in_days=7,
                topics=("Self-care", "Confidence as a parent"),
            ),
            # Tomorrow morning: her reminder is waiting in the outbox.
            DemoSession(1, 9, SessionFormat.IN_PERSON, "", "", location=DEMO_ROOM),
        ),
    ),
    DemoClient(
        first_name="Amira",
        last_name="Haddad",
        pronouns="she/her",
        email="amira.haddad@example.com",
        phone="+44 7700 900321",
        children=(("Yusuf", 2019), ("Noor", 2023)),
        situation=(
            "Nurse back on night shifts after her second maternity leave. Feels she is "
            "missing Noor's first words and snapping at Yusuf when she is tired."
        ),
        goals="Find a rhythm for nights and mornings that leaves room for patience.",
        preferred_contact="text",
        tags=("returning to work",),
        sessions=(
            DemoSession(
                -60, 12, SessionFormat.VIDEO,
                "Exhausted; cried about shouting at Yusuf before school. Partner supportive but "
                "also on shifts. Named the 'perfect mum' voice: her sister's.",
                "We talked about how tiredness, not a lack of love, is behind the hard mornings, "
                "and about the 'perfect mum' voice you hear.",
                ("Agree a 'quiet hour' with your partner after night shifts",),
                topics=("Guilt", "Sleep", "Return to work"),
            ),
            DemoSession(
                -30, 12, SessionFormat.VIDEO,
                "Quiet hour works three days out of five. Noor said 'mama' to the childminder "
                "first: stung, then reframed it as a sign Noor is safe there.",
                "The quiet hour is helping. We talked about Noor's first word and what it says "
                "about how safe and loved she feels.",
                ("Start a notebook of the children's little moments, for the childminder too",),
                topics=("Guilt", "Self-care"),
            ),
            DemoSession(
                -9, 12, SessionFormat.PHONE,
                "Calmer. Asked her manager for fewer consecutive nights; waiting to hear.",
                "You asked for a kinder rota, which took courage. We planned what you will do if "
                "the answer is no.",
                ("Take the children to the park on your first free morning",),
                follow_up_in_days=5,
                topics=("Return to work", "Boundaries"),
            ),
            DemoSession(9, 12, SessionFormat.VIDEO, "", ""),
        ),
    ),
    DemoClient(
        first_name="Jonas",
        last_name="Becker",
        pronouns="he/him",
        email="jonas.becker@example.com",
        phone="+44 7700 900654",
        children=(("Mia", 2021),),
        situation=(
            "Stayed home with Mia while his wife returned to her practice. Proud of it, yet "
            "hears 'so when are you going back to work?' at every playgroup."
        ),
        goals="Feel at ease with the choice the family made.",
        preferred_contact="email",
        tags=("stay-at-home parent",),
        archived=True,
        sessions=(
            DemoSession(
                -49, 9, SessionFormat.IN_PERSON,
                "Defensive at first. Underneath: fear that Mia will think less of him later.",
                "We talked about what Mia gains from these years at home with you, and about "
                "the questions that sting.",
                ("Write down your answer to 'when are you going back?' that feels true",),
                topics=("Staying at home", "Confidence as a parent"),
            ),
            DemoSession(
                -20, 9, SessionFormat.IN_PERSON,
                "Much lighter; found a dads' group. Agreed to end coaching for now.",
                "You found a group of fathers who understand, and feel ready to go on without "
                "our sessions. My door stays open.",
                topics=("Staying at home",),
            ),
        ),
    ),
    # Separated parents who see the coach alone and together, and are kept apart.
    DemoClient(
        first_name="Claire",
        last_name="Bennett",
        pronouns="she/her",
        email=CLAIRE,
        phone="+44 7700 900987",
        relation_to_children="Mother",
        other_adults=(
            AdultData(
                first_name="Luca",
                last_name="Romano",
                pronouns="he/him",
                email=LUCA,
                phone="+44 7700 900988",
                preferred_contact="phone",
                relation_to_children="Father",
            ),
        ),
        keep_apart=True,
        children=(("Isla", 2016), ("Leo", 2019)),
        situation=(
            "Claire and Luca separated last year after eleven years together; Isla and Leo "
            "spend alternate weeks in each home. They talk only through a messaging app, and "
            "Claire asked that her new address and number stay private."
        ),
        goals="Two homes with the same few rules, and handovers the children no longer dread.",
        preferred_contact="email",
        tags=("co-parenting",),
        sessions=(
            DemoSession(
                -63, 19, SessionFormat.VIDEO,
                "Claire alone. Angry and exhausted; says Luca 'undoes every rule' on his weeks. "
                "Underneath: fear that Isla prefers his house. Asked that Luca never sees her "
                "new address or number.",
                "We talked about the weeks in your own home, and what you can shape there "
                "whatever happens in the other. You named the two rules that matter most to "
                "you: bedtime, and no screens at the table.",
                ("Write down your two rules, and how you will explain them to Isla and Leo",),
                topics=("Separation and custody", "Co-parenting"),
                attendees=(CLAIRE,),
                action_items_for=CLAIRE,
            ),
            DemoSession(
                -56, 18, SessionFormat.PHONE,
                "Luca alone. Feels judged as the 'fun dad'; Leo cries at every handover from "
                "his door and Luca takes it as blame. Would like handovers away from both homes.",
                "We talked about Leo's tears at handover, and how often they mean a child feels "
                "safe enough to let his feelings out. You would like handovers to be calmer "
                "for him.",
                ("Note how Leo is an hour after each handover",),
                topics=("Co-parenting", "Confidence as a parent"),
                attendees=(LUCA,),
                action_items_for=LUCA,
            ),
            DemoSession(
                -21, 17, SessionFormat.IN_PERSON,
                "First joint session. Civil throughout; both relieved to agree on school "
                "handovers. Screens still a sore point: left for next time. Contact details "
                "kept out of the room, as agreed with Claire.",
                "Together you agreed that Friday handovers will happen at school, so Isla and "
                "Leo go from one home to the other without a goodbye on the doorstep. We left "
                "screens for another day.",
                ("Try handovers at school for the next four Fridays",),
                follow_up_in_days=7,
                topics=("Co-parenting", "Separation and custody"),
                attendees=(CLAIRE, LUCA),
            ),
            DemoSession(
                12, 17, SessionFormat.IN_PERSON, "", "", attendees=(CLAIRE, LUCA),
                location=DEMO_ROOM,
            ),
        ),
    ),
)


# Adults who join a demo family after its first adult, by the first adult's e-mail address.
# Amira and Karim both work shifts and come to their sessions together.
DEMO_PARTNERS = (
    (
        "amira.haddad@example.com",
        AdultData(
            first_name="Karim",
            last_name="Haddad",
            pronouns="he/him",
            email="karim.haddad@example.com",
            phone="+44 7700 900322",
            preferred_contact="text",
            relation_to_children="Father",
        ),
    ),
)


@dataclass(frozen=True)
class DemoLetter:
    """A letter in the demo, written from a starter template after one of the sessions, to
    the adults who attended it."""

    client_email: str  # of any adult of the family
    starter_key: str
    session_index: int  # among the client's past sessions, oldest first
    status: LetterStatus
    # (prompt left by the template, what the coach wrote instead)
    filled_in: tuple[tuple[str, str], ...] = ()


DEMO_LETTERS = (
    DemoLetter(
        "sofia.marin@example.com", "first-session", 0, LetterStatus.SENT,
        ((
            "[[a few words of your own about what struck you in this first conversation]]",
            "What struck me most was how your face lit up when you spoke about your work, and "
            "how quickly you apologised for it. You never need to apologise for loving what you "
            "do. Lena will grow up with a mother who knows what makes her come alive.",
        ),),
    ),
    DemoLetter("sofia.marin@example.com", "next-steps", 2, LetterStatus.APPROVED),
    DemoLetter(
        "daniel.okafor@example.com", "parent-your-child-needs", 2, LetterStatus.DRAFT,
        ((
            "[[a few lines from your own experience, as a parent or as a coach]]",
            "I have sat with many fathers who believed the years they missed had closed a door "
            "for good. Again and again I have watched those doors open a little, not through "
            "one big gesture, but through a hundred small, reliable ones.",
        ),),
    ),
    # Left with its prompt, so the demo shows what still needs filling in before approval.
    DemoLetter("helen.brooks@example.com", "first-session", 0, LetterStatus.DRAFT),
    # The separated parents: a letter to each alone, and one to both after their joint session.
    DemoLetter(
        CLAIRE, "first-session", 0, LetterStatus.SENT,
        ((
            "[[a few words of your own about what struck you in this first conversation]]",
            "What struck me most was how clearly you know the home you want for Isla and Leo. "
            "Two calm rules, kept kindly, will do more for them than any argument about the "
            "other house.",
        ),),
    ),
    DemoLetter(
        LUCA, "first-session", 1, LetterStatus.SENT,
        ((
            "[[a few words of your own about what struck you in this first conversation]]",
            "What struck me most was how much Leo's tears hurt you, and how quickly you took "
            "them as blame. They may be the opposite: a boy who feels safe enough to cry.",
        ),),
    ),
    DemoLetter(
        CLAIRE, "next-steps", 2, LetterStatus.SENT,
        (("Dear Claire,", "Dear Claire and Luca,"),),
    ),
)


def seed_demo_practice() -> list[DemoLogin]:
    """Create the demo practice if it is not there yet; return the sign-ins to print."""
    coach = get_user_by_email(DEMO_COACH_EMAIL)
    if coach is None:
        coach = create_coach(
            DEMO_COACH_EMAIL,
            "Maya Lindqvist",
            DEMO_COACH_PASSWORD,
            practice_name="Harbour Parent Coaching",
            bio=COACH_BIO,
        )
        coach.timezone = DEMO_TIMEZONE
        coach.session_reminder_hours = DEMO_REMINDER_HOURS
    else:
        set_password(coach, DEMO_COACH_PASSWORD)  # so the printed password always works
    for demo_client in DEMO_CLIENTS:
        _ensure_demo_client(coach, demo_client)
    for family_email, partner in DEMO_PARTNERS:
        _ensure_demo_partner(coach, family_email, partner)
    db.session.flush()
    _ensure_demo_letters(coach)
    logins = [DemoLogin("coach", DEMO_COACH_EMAIL, DEMO_COACH_PASSWORD)]
    for email in DEMO_PORTAL_EMAILS:
        if _ensure_demo_client_login(coach, email):
            logins.append(DemoLogin("client", email, DEMO_CLIENT_PASSWORD))
    seed_demo_blog(coach)
    _ensure_demo_programme(coach)
    seed_demo_reader()
    _ensure_demo_booking(coach)
    _ensure_demo_journal(coach)
    queue_due_reminders(utcnow())  # each reminder is queued once, however often this runs
    return logins


def _ensure_demo_programme(coach: User) -> None:
    """A programme made from the blog's "30 day challenge", which Sofia follows daily from
    three days ago, so that she reads day 4 today (once: a coach's changes stay)."""
    series = db.session.scalar(
        select(Series).where(Series.practice_id == coach.practice_id, Series.title == SERIES_TITLE)
    )
    sofia = db.session.scalar(
        select(Adult).join(Adult.client)
        .where(Client.coach_id == coach.id, Adult.email == DEMO_CLIENT_EMAIL)
    )
    if series is None or sofia is None or programme_of_series(series, coach) is not None:
        return
    programme = programme_from_series(series, coach)
    programme.title = "30 day challenge"
    already = db.session.scalar(select(Enrolment.id).where(Enrolment.adult_id == sofia.id))
    if already is None:
        today = local_today(sofia.user or coach)
        enrol(programme, sofia, today - timedelta(days=3), Rhythm.DAILY, [])
    db.session.flush()


def _ensure_demo_booking(coach: User) -> None:
    """Booking in the portal turned on, with the demo's hours (once: a coach's own changes
    to them stay)."""
    if booking_settings(coach) is None:
        save_availability(coach, DEMO_BOOKING)


DEMO_JOURNAL = (
    # (day, text, shared with the coach, the coach's reply)
    (1, "This morning I noticed how often I say *hurry up*. Lena was putting her shoes on "
        "by herself, slowly and proudly, and I nearly did it for her.\n\nI waited. It took "
        "four minutes and she beamed all the way to nursery.", True,
     "Those four minutes are the whole challenge in one morning. You saw what mattered to "
     "her and you gave her the time: that is not small. I would love to hear what else you "
     "notice this week."),
    (2, "Harder today. I was tired after work and snapped about the bath. I said sorry "
        "afterwards, which I would not have done a month ago.", False, ""),
)


def _ensure_demo_journal(coach: User) -> None:
    """Sofia's answers to days 1 and 2 of her programme (free entries if she follows none):
    day 1 shared with the coach and answered, day 2 kept private. Once: her own changes stay."""
    adult = db.session.scalars(
        select(Adult).join(Adult.client)
        .where(Client.coach_id == coach.id, Adult.email == DEMO_CLIENT_EMAIL)
    ).first()
    if adult is None or db.session.scalar(
        select(JournalEntry.id).where(JournalEntry.adult_id == adult.id).limit(1)
    ):
        return
    enrolment = db.session.scalars(
        select(Enrolment).where(Enrolment.adult_id == adult.id).order_by(Enrolment.id)
    ).first()
    prompts = {p.day: p for p in enrolment.programme.prompts} if enrolment else {}
    now = utcnow()
    for day, text, shared, reply in DEMO_JOURNAL:
        prompt = prompts.get(day)
        written = now - timedelta(days=4 - day, hours=3)
        entry = JournalEntry(
            client_id=adult.client_id, adult_id=adult.id,
            enrolment_id=enrolment.id if prompt else None, prompt_id=prompt.id if prompt else None,
            title=prompt.title if prompt else f"Day {day}", body=text,
            shared_at=written + timedelta(minutes=20) if shared else None,
            coach_read_at=written + timedelta(hours=2) if shared else None,
            created_at=written, updated_at=written,
        )
        if reply:
            entry.replies.append(
                JournalReply(coach_id=coach.id, body=reply, created_at=written + timedelta(hours=2))
            )
        db.session.add(entry)
    db.session.flush()


def _ensure_demo_client_login(coach: User, email: str) -> bool:
    """The portal sign-in of the demo adult with this address, its password reset, and a
    sent letter in the family's portal."""
    adult = db.session.scalars(
        select(Adult).join(Adult.client).where(Client.coach_id == coach.id, Adult.email == email)
    ).first()
    user = get_user_by_email(email)
    if adult is None or (user is not None and not user.is_client):
        return False  # an account of another kind already uses the address: leave it be
    if user is None:
        user = User(
            email=email,
            name=adult.full_name,
            role=Role.CLIENT,
            practice_id=coach.practice_id,
            timezone=DEMO_TIMEZONE,
        )
        db.session.add(user)
    set_password(user, DEMO_CLIENT_PASSWORD)  # so the printed password always works
    db.session.flush()
    adult.user_id = user.id
    _ensure_sent_letter(adult.client)
    db.session.flush()
    return True


def _ensure_sent_letter(client: Client) -> None:
    """If none of the client's letters was sent, mark the first approved one as sent."""
    letters = db.session.scalars(
        select(Letter).where(Letter.client_id == client.id).order_by(Letter.id)
    ).all()
    if any(letter.status is LetterStatus.SENT for letter in letters):
        return
    approved = next((ltr for ltr in letters if ltr.status is LetterStatus.APPROVED), None)
    if approved is not None:
        approved.status = LetterStatus.SENT
        approved.sent_at = (approved.approved_at or utcnow()) + timedelta(hours=2)
        approved.sent_to = ", ".join(a.email for a in approved.addressees if a.email)


def _ensure_demo_letters(coach: User) -> None:
    """The starter templates, and a few letters in each state (once for each family)."""
    ensure_starter_templates(coach)
    templates = {template.starter_key: template for template in coach_templates(coach)}
    # Families that had letters before this run; a family added later still gets its own.
    written = set(db.session.scalars(select(Letter.client_id).where(Letter.coach_id == coach.id)))
    for demo in DEMO_LETTERS:
        client = db.session.scalars(
            select(Client)
            .join(Client.adults)
            .where(Client.coach_id == coach.id, Adult.email == demo.client_email)
        ).first()
        if client is None or client.id in written:
            continue
        past = list(db.session.scalars(
            select(CoachingSession)
            .where(CoachingSession.client_id == client.id, CoachingSession.starts_at <= utcnow())
            .order_by(CoachingSession.starts_at)
        ))
        if len(past) > demo.session_index:
            _add_demo_letter(coach, client, past[demo.session_index], templates, demo)
    db.session.flush()


def _add_demo_letter(
    coach: User, client: Client, coaching_session: CoachingSession, templates: dict,
    demo: DemoLetter,
) -> None:
    letter = draft_letter(coach, client, coaching_session, templates.get(demo.starter_key))
    body = letter.body
    for prompt, words in demo.filled_in:
        body = body.replace(prompt, words)
    save_letter(letter, subject=letter.subject, body=body, based_on=letter.version, author=coach)
    if demo.status is LetterStatus.DRAFT:
        return
    approve_letter(letter, coach, letter.version)
    if demo.status is LetterStatus.SENT:
        letter.approved_at = coaching_session.starts_at + timedelta(days=1)
        letter.status = LetterStatus.SENT
        letter.sent_at = letter.approved_at + timedelta(hours=2)
        letter.sent_to = ", ".join(a.email for a in letter.addressees if a.email)


def _ensure_demo_client(coach: User, demo_client: DemoClient) -> None:
    exists = db.session.scalar(
        select(Client.id)
        .join(Client.adults)
        .where(Client.coach_id == coach.id, Adult.email == demo_client.email)
    )
    if exists:
        return
    client = create_client(
        coach,
        ClientData(
            first_name=demo_client.first_name,
            last_name=demo_client.last_name,
            pronouns=demo_client.pronouns,
            email=demo_client.email,
            phone=demo_client.phone,
            situation=demo_client.situation,
            goals=demo_client.goals,
            preferred_contact=demo_client.preferred_contact,
            children=list(demo_client.children),
            tags=list(demo_client.tags),
        ),
    )
    client.first_adult.relation_to_children = demo_client.relation_to_children
    for other_adult in demo_client.other_adults:
        add_adult(client, other_adult)
    topics_by_name = {topic.name: topic for topic in coach_topics(coach)}
    today = utcnow().astimezone(ZoneInfo(coach.timezone)).date()
    for demo_session in demo_client.sessions:
        _add_demo_session(coach, client, demo_session, today, topics_by_name)
    if demo_client.keep_apart:
        set_keep_apart(client, True)  # through the service, so the activity log shows it
    if demo_client.archived:
        archive_client(client)


def _ensure_demo_partner(coach: User, family_email: str, partner: AdultData) -> None:
    """Add ``partner`` to the family whose first adult has ``family_email`` (once)."""
    family = db.session.scalars(
        select(Client)
        .join(Client.adults)
        .where(Client.coach_id == coach.id, Adult.email == family_email)
    ).first()
    if family is None or any(adult.email == partner.email for adult in family.adults):
        return
    add_adult(family, partner)
    db.session.flush()
    for coaching_session in db.session.scalars(
        select(CoachingSession).where(CoachingSession.client_id == family.id)
    ):
        record_attendance(coaching_session, family.adults)


def _add_demo_session(
    coach: User, client: Client, demo: DemoSession, today: date, topics_by_name: dict
) -> None:
    day = today + timedelta(days=demo.days_from_today)
    adults_by_email = {adult.email: adult for adult in client.adults}
    attendees = [adults_by_email[email] for email in demo.attendees] or list(client.adults)
    starts_at = datetime.combine(day, time(demo.hour), tzinfo=ZoneInfo(coach.timezone))
    coaching_session = CoachingSession(
        coach_id=coach.id,
        client=client,
        starts_at=starts_at,
        duration_minutes=60,
        format=demo.format,
        location=demo.location,
        topics=[topics_by_name[name] for name in demo.topics if name in topics_by_name],
        private_notes=demo.private_notes,
        summary=demo.summary,
        follow_up_on=(
            today + timedelta(days=demo.follow_up_in_days)
            if demo.follow_up_in_days is not None
            else None
        ),
        action_items=[
            ActionItem(
                position=index,
                text=text,
                adult=adults_by_email.get(demo.action_items_for),
                due_on=day + timedelta(days=7),
                # Older steps have been done; recent ones are still open.
                done_at=starts_at + timedelta(days=5) if demo.days_from_today < -30 else None,
            )
            for index, text in enumerate(demo.action_items)
        ],
    )
    db.session.add(coaching_session)
    record_attendance(coaching_session, attendees)
    if demo.booked_in_portal:
        db.session.add(SessionBooking(coaching_session=coaching_session, adult=attendees[0]))
    if demo.weekly_count > 1:
        db.session.flush()  # the series is made with the session's family id
        zone = ZoneInfo(coach.timezone)
        later = series_starts(starts_at, Repeat.WEEKLY, zone, count=demo.weekly_count)
        plan_series(coaching_session, Repeat.WEEKLY, later, count=demo.weekly_count)
