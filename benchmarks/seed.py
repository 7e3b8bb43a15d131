"""A large practice for the benchmarks, written with bulk inserts into an empty database.

One practice owner with a letterhead (logo and signature), 1,000 clients with a child each
and 10,000 sessions in all (notes read like prose, with topics and action items, indexed
for search), 2,000 letters (drafts and sent ones), a public blog of 500 posts (30 of them a
"30 day challenge" series) with 5,000 approved comments, and 20 more coaches in the same
practice, each with a client, a session and a draft letter of their own to edit.

One client, Sofia, has a portal sign-in, 50 past sessions and 20 sent letters: hers is the
portal page and the whole archive the suite measures.
"""

import io
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import insert, select

from coachapp.auth.models import Role, User
from coachapp.auth.services import create_coach, set_password
from coachapp.blog.models import (
    BlogProfile,
    Category,
    Comment,
    CommentStatus,
    Post,
    PostStatus,
    PostTag,
    Series,
    post_tag_links,
)
from coachapp.clients.models import Adult, Child, Client
from coachapp.coaching.models import (
    ActionItem,
    CoachingSession,
    Topic,
    coaching_session_topics,
    session_attendees,
)
from coachapp.coaching.search import reindex_sessions
from coachapp.extensions import db
from coachapp.letters.letterhead import get_letterhead, prepare_image, store_image
from coachapp.letters.models import Letter, LetterStatus, letter_addressees

PASSWORD = "benchmark-password"  # noqa: S105  (a throwaway database)
OWNER_EMAIL = "owner@example.com"
PORTAL_EMAIL = "sofia@example.com"
SERIES_PARTS = 30
PORTAL_SESSIONS, PORTAL_LETTERS = 50, 20

# Notes read like prose: a large vocabulary of everyday words (made-up syllable words stand
# in for it) with a few themes that recur, so a search matches some sessions, not all.
THEMES = (
    "guilt", "nursery", "sleep", "career", "custody", "weekend", "relapse", "sponsor", "school",
    "patience", "grandparents", "boundaries", "confidence", "bedtime", "homework", "anger", "calm",
)
SYLLABLES = "ba be bi bo da de di do ka ke ki ko la le li lo ma me mi mo na ne ni no ra re ri ro"
VOCABULARY = [a + b + c for a in SYLLABLES.split()[:14] for b in SYLLABLES.split()
              for c in ("", "n", "s")][:3000]

LETTER_PARAGRAPHS = (
    "Thank you for Tuesday, and for trusting me with what has been weighing on you since "
    "the autumn. You told me about the mornings at the nursery gate, the way Lena holds on "
    "to your coat, and the long walk back to the car.",
    "I want to start by saying that almost every parent I work with has stood at that gate "
    "with the same knot in their stomach. It is not a sign that you are doing something "
    "wrong. It is a sign of how much you love her.",
    "You are your child's perfect parent, because you are hers. Not because you get every "
    "morning right, but because you keep showing up, and because you notice. Children do "
    "not need a parent who never struggles; they need one who comes back, who repairs, "
    "and who tells them the truth in words they can hold.",
    "Here are two small things to try before we meet again. First, take ten minutes for "
    "yourself after the drop-off, before you open your e-mail. Second, each evening, write "
    "down one moment when Lena laughed. Keep the notebook by your bed.",
    "Please be as kind to yourself this week as you would be to a friend who told you "
    "the same story. You are doing far better than you think.",
)
POST_PARAGRAPH = (
    "Some evenings are heavier than others. What you told me about bedtime, the tiredness "
    "and the small arguments over teeth and pyjamas is something I hear from many parents, "
    "and none of it means you are failing your children. It means you are tired, and that "
    "you care. Tonight, try one small thing: *sit on the floor* for five minutes before "
    "the routine starts, and let your child lead the play."
)
POST_BODY = "\n\n".join(
    [
        "## Where the evening goes wrong",
        *[POST_PARAGRAPH] * 3,
        "- Put your phone in another room.\n- Say what comes next, twice.\n- Breathe out first.",
        "## What you can try tonight",
        *[POST_PARAGRAPH] * 3,
        "> You are your child's perfect parent because you are theirs.",
    ]
)


@dataclass
class Practice:
    """Where the suite finds what it loads."""

    client_path: str  # a client's timeline with ten sessions
    post_path: str  # a post in the middle of the series
    portal_letter_id: int  # one of Sofia's sent letters
    writers: list[tuple[str, int, int, int]]  # (e-mail, client id, session id, letter id)
    counts: dict[str, int]


def letter_body(number: int, first_name: str = "Sofia") -> str:
    """A warm letter of about a page and a half; ``number`` makes each one different."""
    middle = "\n\n".join(LETTER_PARAGRAPHS + LETTER_PARAGRAPHS[:3])
    return f"Dear {first_name},\n\n{middle}\n\nWith warmth, until the {number % 28 + 1}th,\n\nMaya"


def _note(rng: random.Random, length: int) -> str:
    words = [rng.choice(VOCABULARY) for _ in range(length)]
    for _ in range(2):  # each note touches two themes
        words[rng.randrange(length)] = rng.choice(THEMES)
    return " ".join(words).capitalize() + "."


def sample_image(size: tuple[int, int], draw) -> bytes:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw(ImageDraw.Draw(image))
    output = io.BytesIO()
    image.save(output, "PNG")
    return output.getvalue()


def add_full_letterhead(coach: User) -> None:
    """A full letterhead: logo, signature image, address and links."""
    letterhead = get_letterhead(coach)
    logo = sample_image((400, 400), lambda d: d.ellipse((20, 20, 380, 380), fill="#9c4f36"))
    signature = sample_image((600, 160), lambda d: d.line(
        [(20, 100), (150, 40), (300, 120), (450, 50), (580, 90)], fill="#1e285a", width=6))
    letterhead.practice_name = "Harbour Parent Coaching"
    letterhead.address = "12 Quay Street\nBristol BS1 4DJ"
    letterhead.phone = "+44 117 496 0123"
    letterhead.website = "www.harbourparents.co.uk"
    letterhead.social_links = "Instagram https://instagram.com/harbourparents"
    letterhead.signature_text = "Maya"
    letterhead.logo_path = store_image(coach.id, prepare_image(logo, "logo"))
    letterhead.signature_image_path = store_image(coach.id, prepare_image(signature, "sig"))
    db.session.add(letterhead)


def _spread(total: int, ids: list[int]) -> dict[int, int]:
    """``total`` things shared out over ``ids`` as evenly as they go."""
    each, extra = divmod(total, len(ids))
    return {cid: each + (1 if position < extra else 0) for position, cid in enumerate(ids)}


def _clients(coach: User, count: int, now: datetime) -> list[int]:
    db.session.execute(
        insert(Client),
        [{"coach_id": coach.id, "created_at": now, "updated_at": now} for _ in range(count)],
    )
    ids = db.session.scalars(
        select(Client.id).where(Client.coach_id == coach.id).order_by(Client.id)
    ).all()
    # Each family's one adult; the first family is Sofia's, who signs in to the portal.
    db.session.execute(
        insert(Adult),
        [
            {"client_id": cid, "position": 0, "first_name": "Sofia" if i == 0 else f"Parent{i}",
             "last_name": "Marin" if i == 0 else f"Family{i}",
             "email": PORTAL_EMAIL if i == 0 else f"parent{i}@example.com", "created_at": now}
            for i, cid in enumerate(ids)
        ],
    )
    db.session.execute(
        insert(Child), [{"client_id": cid, "first_name": "Kid", "birth_year": 2018} for cid in ids]
    )
    return ids


def _sessions(rng: random.Random, coach: User, sessions_per_client: dict[int, int],
              now: datetime) -> None:
    """Sessions with notes, a shared summary, a topic and a next step each; indexed."""
    rows = [
        {"coach_id": coach.id, "client_id": cid,
         # Sofia's are all in the past, so all of them are in her archive.
         "starts_at": now - timedelta(days=rng.randint(1 if count > 10 else -20, 400),
                                      hours=rng.randint(0, 8)),
         "duration_minutes": 60, "private_notes": _note(rng, 120), "summary": _note(rng, 40),
         "created_at": now, "updated_at": now,
         "follow_up_on": (now + timedelta(days=rng.randint(-10, 30))).date()
         if rng.random() < 0.2 else None}
        for cid, count in sessions_per_client.items() for _ in range(count)
    ]
    db.session.execute(insert(CoachingSession), rows)
    session_ids = db.session.scalars(
        select(CoachingSession.id).where(CoachingSession.coach_id == coach.id)
    ).all()
    # Each family's one adult attended: it is what the portal shows them.
    first_adults = dict(db.session.execute(
        select(Adult.client_id, Adult.id).where(Adult.client_id.in_(sessions_per_client))
    ).all())
    db.session.execute(
        insert(session_attendees),
        [{"coaching_session_id": sid, "adult_id": first_adults[cid]}
         for sid, cid in db.session.execute(
             select(CoachingSession.id, CoachingSession.client_id)
             .where(CoachingSession.coach_id == coach.id)
         )],
    )
    topic_ids = db.session.scalars(select(Topic.id).where(Topic.coach_id == coach.id)).all()
    db.session.execute(
        insert(ActionItem),
        [{"coaching_session_id": sid, "position": 0, "text": _note(rng, 8),
          "due_on": (now + timedelta(days=rng.randint(-30, 30))).date(),
          "done_at": now if rng.random() < 0.8 else None}  # most steps get done
         for sid in session_ids],
    )
    db.session.execute(
        insert(coaching_session_topics),
        [{"coaching_session_id": sid, "topic_id": rng.choice(topic_ids)} for sid in session_ids],
    )
    connection = db.session.connection()
    for start in range(0, len(session_ids), 1000):
        reindex_sessions(connection, set(session_ids[start : start + 1000]))


def _letters(coach: User, letters_per_client: dict[int, int], now: datetime) -> None:
    """Letters: every client's first is sent, the rest are drafts; all of Sofia's are sent."""
    rows = []
    for cid, count in letters_per_client.items():
        for number in range(count):
            sent = number == 0 or count > 2
            rows.append({
                "coach_id": coach.id, "client_id": cid, "subject": f"After session {number + 1}",
                "body": letter_body(number), "version": 1, "created_at": now, "updated_at": now,
                "status": LetterStatus.SENT if sent else LetterStatus.DRAFT,
                "approved_at": now if sent else None, "approved_by_id": coach.id if sent else None,
                "sent_at": now - timedelta(days=count - number) if sent else None,
                "sent_to": "client@example.com" if sent else None,
            })
    db.session.execute(insert(Letter), rows)
    # Each letter is to its family's first adult: it is whom the portal shows it.
    db.session.execute(
        insert(letter_addressees).from_select(
            ["letter_id", "adult_id"],
            select(Letter.id, Adult.id)
            .join(Adult, (Adult.client_id == Letter.client_id) & (Adult.position == 0))
            .where(Letter.coach_id == coach.id),
        )
    )


def _blog(coach: User, post_count: int, comment_count: int, now: datetime) -> str:
    """Posts (a series among them), tags, categories and approved comments; a series post."""
    practice_id = coach.practice_id
    db.session.add(BlogProfile(
        coach_id=coach.id,
        social_links="Instagram https://instagram.com/harbour\nFacebook facebook.com/harbour",
    ))
    categories = [
        Category(practice_id=practice_id, name=name, slug=name.lower().replace(" ", "-"))
        for name in ("Calm evenings", "Returning to work", "Grandparents")
    ]
    tags = [PostTag(practice_id=practice_id, name=name, slug=name)
            for name in ("guilt", "bedtime", "sleep", "anger", "school")]
    series = Series(practice_id=practice_id, title="30 day challenge", slug="30-day-challenge",
                    description="One small step a day.", planned_parts=SERIES_PARTS)
    db.session.add_all([*categories, *tags, series])
    db.session.flush()
    db.session.execute(
        insert(Post),
        [
            {"author_id": coach.id, "title": f"Letter {number}: evenings again",
             "slug": f"letter-{number}", "excerpt": "For the parent who dreads bedtime.",
             "body": POST_BODY, "status": PostStatus.PUBLISHED,
             "publish_at": now - timedelta(days=number, hours=1),
             "category_id": categories[number % len(categories)].id,
             "series_id": series.id if number < SERIES_PARTS else None,
             "series_position": SERIES_PARTS - number if number < SERIES_PARTS else None}
            for number in range(post_count)
        ],
    )
    post_ids = db.session.scalars(select(Post.id).order_by(Post.id)).all()
    db.session.execute(
        insert(post_tag_links),
        [{"post_id": post_id, "tag_id": tags[post_id % len(tags)].id} for post_id in post_ids],
    )
    db.session.execute(
        insert(Comment),
        [{"post_id": post_ids[number % len(post_ids)], "author_name": f"Reader {number}",
          "body": "Thank you, this helped tonight.", "status": CommentStatus.APPROVED,
          "created_at": now - timedelta(minutes=number)}
         for number in range(comment_count)],
    )
    return f"/blog/letter-{SERIES_PARTS // 2}"


def _writers(owner: User, count: int, now: datetime) -> list[tuple[str, int, int, int]]:
    """More coaches of the practice, each with a client, a session and a draft letter."""
    writers = []
    for number in range(1, count + 1):
        coach = create_coach(f"coach{number}@example.com", f"Coach {number}", PASSWORD,
                             practice=owner.practice)
        db.session.flush()
        client = Client(coach_id=coach.id, adults=[Adult(
            first_name=f"Writer{number}", last_name="Family",
            email=f"writer-client{number}@example.com",
        )])
        db.session.add(client)
        db.session.flush()
        coaching_session = CoachingSession(
            coach_id=coach.id, client_id=client.id, starts_at=now - timedelta(days=1),
            private_notes="First notes.", summary="We met for the first time.",
            attendees=list(client.adults),
        )
        letter = Letter(coach_id=coach.id, client_id=client.id, subject="After our session",
                        body=letter_body(number, f"Writer{number}"),
                        addressees=list(client.adults))
        db.session.add_all([coaching_session, letter])
        db.session.flush()
        writers.append((coach.email, client.id, coaching_session.id, letter.id))
    return writers


def seed_practice(clients: int = 1000, sessions: int = 10_000, letters: int = 2000,
                  posts: int = 500, comments: int = 5000, writers: int = 20) -> Practice:
    """Fill an empty, migrated database (inside an app context) with the large practice."""
    rng = random.Random(7)  # noqa: S311  (repeatable sample data, not secrets)
    now = datetime.now(UTC)
    owner = create_coach(OWNER_EMAIL, "Maya Lindqvist", PASSWORD,
                         practice_name="Harbour Parent Coaching",
                         bio="I was a midwife for twelve years.")
    db.session.flush()
    add_full_letterhead(owner)
    client_ids = _clients(owner, clients, now)
    portal_client, others = client_ids[0], client_ids[1:]
    _sessions(rng, owner, {portal_client: PORTAL_SESSIONS,
                           **_spread(sessions - PORTAL_SESSIONS, others)}, now)
    _letters(owner, {portal_client: PORTAL_LETTERS, **_spread(letters - PORTAL_LETTERS, others)},
             now)

    sofia = db.session.get(Client, portal_client)
    user = User(email=PORTAL_EMAIL, name="Sofia Marin", role=Role.CLIENT,
                practice_id=owner.practice_id)
    set_password(user, PASSWORD)
    db.session.add(user)
    db.session.flush()
    sofia.first_adult.user_id = user.id

    post_path = _blog(owner, posts, comments, now)
    writer_rows = _writers(owner, writers, now)
    db.session.commit()
    portal_letter_id = db.session.scalar(
        select(Letter.id).where(Letter.client_id == portal_client).order_by(Letter.id)
    )
    counts = {
        name: db.session.query(model).count()
        for name, model in (("clients", Client), ("sessions", CoachingSession),
                            ("letters", Letter), ("posts", Post), ("comments", Comment))
    }
    return Practice(
        client_path=f"/clients/{client_ids[len(client_ids) // 2]}",
        post_path=post_path,
        portal_letter_id=portal_letter_id,
        writers=writer_rows,
        counts=counts,
    )
