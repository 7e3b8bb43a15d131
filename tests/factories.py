"""Build coaches, clients and sessions for tests (call inside an app context)."""

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

from sqlalchemy import select

from coachapp.auth.models import Role, User
from coachapp.auth.services import create_coach, set_password
from coachapp.clients.models import Adult, Child, Client
from coachapp.coaching.models import ActionItem, CoachingSession, SessionFormat, Topic
from coachapp.extensions import db

PASSWORD = "a-long-test-password"


def make_coach(email: str = "coach@example.com", name: str = "Maya Lindqvist", **kwargs) -> User:
    coach = create_coach(email, name, kwargs.pop("password", PASSWORD), **kwargs)
    db.session.commit()
    return coach


PERSON_FIELDS = ("preferred_name", "pronouns", "phone", "preferred_contact", "relation_to_children")


def make_client(coach: User, first_name: str = "Sofia", **kwargs) -> Client:
    """A family of one adult (the client as most coaches know them), with a child."""
    children = kwargs.pop("children", [("Lena", 2024)])
    adult = Adult(
        position=0,
        first_name=first_name,
        last_name=kwargs.pop("last_name", "Marin"),
        email=kwargs.pop("email", f"{first_name.lower()}@example.com"),
        **{name: kwargs.pop(name) for name in PERSON_FIELDS if name in kwargs},
    )
    client = Client(
        coach_id=coach.id,
        adults=[adult],
        children=[Child(first_name=name, birth_year=year) for name, year in children],
        **kwargs,
    )
    db.session.add(client)
    db.session.commit()
    return client


def add_family_adult(client: Client, first_name: str = "Marc", **kwargs) -> Adult:
    """Another adult of the family."""
    adult = Adult(
        position=len(client.adults),
        first_name=first_name,
        last_name=kwargs.pop("last_name", "Duval"),
        email=kwargs.pop("email", f"{first_name.lower()}@example.com"),
        **kwargs,
    )
    client.adults.append(adult)
    db.session.commit()
    return adult


def make_client_login(client: Client, password: str = PASSWORD, adult: Adult | None = None) -> User:
    """Give an adult of the family (the first, unless told) a portal sign-in."""
    adult = adult or client.first_adult
    user = User(
        email=adult.email,
        name=adult.full_name,
        role=Role.CLIENT,
        practice_id=client.coach.practice_id,
    )
    set_password(user, password)
    db.session.add(user)
    db.session.flush()
    adult.user_id = user.id
    db.session.commit()
    return user


def make_coaching_session(client: Client, days_ago: int = 7, **kwargs) -> CoachingSession:
    """A past session; the family's first adult attended unless ``attendees`` says who."""
    action_items = kwargs.pop("action_items", [])
    kwargs.setdefault("attendees", [client.first_adult])
    coaching_session = CoachingSession(
        coach_id=client.coach_id,
        client_id=client.id,
        starts_at=kwargs.pop("starts_at", datetime.now(UTC) - timedelta(days=days_ago)),
        format=kwargs.pop("format", SessionFormat.VIDEO),
        private_notes=kwargs.pop("private_notes", "Private: carries guilt about the nursery."),
        summary=kwargs.pop("summary", "We talked about the first weeks at nursery."),
        action_items=[ActionItem(position=i, text=text) for i, text in enumerate(action_items)],
        **kwargs,
    )
    db.session.add(coaching_session)
    db.session.commit()
    return coaching_session


def make_tagged_client(coach: User, first_name: str = "Sofia", tags=("return to work",), **kwargs):
    """A client carrying the coach's tags with these names (created when new)."""
    from coachapp.clients.services import tags_for

    client = make_client(coach, first_name, **kwargs)
    client.tags = tags_for(coach.id, list(tags))
    db.session.commit()
    return client


def topic_ids(coach: User, *names: str) -> list[int]:
    """The ids of the coach's topics with these names (from the default list, or added)."""
    by_name = {
        topic.name: topic.id
        for topic in db.session.scalars(select(Topic).where(Topic.coach_id == coach.id))
    }
    return [by_name[name] for name in names]


def session_form(client_id: int, /, **overrides) -> dict:
    """What a coach types into the session form: a one-hour video session with one step."""
    data = {
        "client_id": str(client_id),
        "date": "2026-03-02",
        "start_time": "10:00",
        "end_time": "11:00",
        "format": "video",
        "private_notes": "## Goal\nDecide about the nursery without guilt.",
        "summary": "We talked about the first weeks at nursery.",
        "action_items-0-text": "Visit the nursery together",
        "action_items-0-due_on": "2026-03-09",
        "follow_up_on": "2026-03-16",
        "save": "Save session",
    }
    data.update(overrides)
    return data


class _FormReader(HTMLParser):
    """Collects what a browser would send back from one form on a page."""

    def __init__(self, form_class: str):
        super().__init__(convert_charrefs=True)
        self.form_class = form_class
        self.in_form = False
        self.fields: dict[str, str | list[str]] = {}
        self.textarea: str | None = None
        self.select: str | None = None

    def add(self, name: str, value: str, many: bool = False) -> None:
        if many:
            self.fields.setdefault(name, [])
            self.fields[name].append(value)
        else:
            self.fields[name] = value

    def handle_starttag(self, tag, attrs):
        attrs = {key: value if value is not None else "" for key, value in attrs}
        if tag == "form":
            self.in_form = self.form_class in attrs.get("class", "").split()
        if not self.in_form or ("name" not in attrs and tag != "option"):
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.add(attrs["name"], attrs.get("value", "on"), many=kind == "checkbox")
            elif kind != "submit":
                self.add(attrs["name"], attrs.get("value", ""))
        elif tag == "textarea":
            self.textarea = attrs["name"]
            self.fields[self.textarea] = ""
        elif tag == "select":
            self.select = attrs["name"]
        elif (
            tag == "option"
            and self.select
            and ("selected" in attrs or self.select not in self.fields)
        ):
            # Like a browser: the selected option, else the first one.
            self.fields[self.select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "textarea" and self.textarea:
            # A browser drops the one newline that follows <textarea>.
            value = self.fields[self.textarea]
            self.fields[self.textarea] = value.removeprefix("\r\n").removeprefix("\n")
            self.textarea = None
        elif tag == "select":
            self.select = None

    def handle_data(self, data):
        if self.textarea:
            self.fields[self.textarea] += data


def form_fields(page: str, form_class: str = "session-form") -> dict:
    """What a browser would post back, unchanged, from the form with this class on ``page``."""
    reader = _FormReader(form_class)
    reader.feed(page)
    return reader.fields


LETTER_BODY = """My dear Sofia,

Thank you for Tuesday. You spoke about the nursery, and about the guilt that comes with
every drop-off. Many parents feel exactly this, and it says how much you care.

When my own daughter started nursery, I cried in the car for a week. She did not.

**You are your child's perfect parent because you are theirs.**

Two small things for this week:

- Take ten minutes for yourself after the drop-off, before you open your e-mail.
- Write down one moment each day when Lena laughed.

With warmth,

Maya"""


def long_letter_body(paragraphs: int = 12) -> str:
    """A letter long enough to run onto a second page."""
    paragraph = (
        "Some weeks are heavier than others, and this was one of them. What you told me "
        "about the evenings, the tiredness and the small arguments at bedtime is something "
        "I hear from many parents, and none of it means you are failing your children."
    )
    middle = "\n\n".join(f"{paragraph} ({number})" for number in range(1, paragraphs + 1))
    return f"Dear Sofia,\n\n{middle}\n\nThe last paragraph ends the letter.\n\nWith warmth,\n\nMaya"


def make_letter(client: Client, body: str = LETTER_BODY, **kwargs):
    """A letter from the client's coach to the client (a draft unless told otherwise),
    addressed to its first adult unless ``addressees`` are given."""
    from coachapp.letters.models import Letter

    letter = Letter(
        coach_id=client.coach_id,
        client_id=client.id,
        addressees=kwargs.pop("addressees", None) or [client.first_adult],
        subject=kwargs.pop("subject", "After our first session"),
        body=body,
        **kwargs,
    )
    db.session.add(letter)
    db.session.commit()
    return letter


def make_sent_letter(client: Client, sent_at: datetime | None = None, **kwargs):
    """A letter approved by the client's coach (which keeps the revision a consent refers
    to) and sent to the client's address; ``kwargs`` go to make_letter."""
    from coachapp.letters.models import LetterStatus
    from coachapp.letters.services import approve_letter

    letter = make_letter(client, **kwargs)
    approve_letter(letter, db.session.get(User, client.coach_id), based_on=letter.version)
    letter.status = LetterStatus.SENT
    letter.sent_at = sent_at or datetime.now(UTC)
    letter.sent_to = ", ".join(adult.email for adult in letter.addressees if adult.email)
    db.session.commit()
    return letter


def make_letterhead(coach: User, **kwargs):
    """A saved letterhead for the coach, from their account plus the given fields."""
    from coachapp.letters.letterhead import get_letterhead

    letterhead = get_letterhead(coach)
    for name, value in kwargs.items():
        setattr(letterhead, name, value)
    db.session.add(letterhead)
    db.session.commit()
    return letterhead


def make_post(author: User, title: str = "You are not failing", **kwargs):
    """A post by the author; published a day ago unless told otherwise."""
    from coachapp.blog.models import Post, PostStatus
    from coachapp.blog.services import unique_slug

    post = Post(
        author_id=author.id,
        title=title,
        slug=kwargs.pop("slug", None) or unique_slug(Post, title),
        excerpt=kwargs.pop("excerpt", "A few words for parents who feel they fall short."),
        body=kwargs.pop("body", "Every parent has days like this.\n\nYou are doing enough."),
        status=kwargs.pop("status", PostStatus.PUBLISHED),
        publish_at=kwargs.pop("publish_at", datetime.now(UTC) - timedelta(days=1)),
        **kwargs,
    )
    db.session.add(post)
    db.session.commit()
    return post


# The neutral words a coach's blog profile starts with, as its form posts them.
REPLACEMENT_FIELDS = {
    "client_name_replacement": "my dear friend",
    "child_name_replacement": "your little one",
    "contact_replacement": "[removed]",
    "other_term_replacement": "[removed]",
}


def default_replacements():
    """The anonymiser's words for a post made from a letter, as a new profile has them."""
    from coachapp.blog.publishing import replacement_words

    return replacement_words(REPLACEMENT_FIELDS)
