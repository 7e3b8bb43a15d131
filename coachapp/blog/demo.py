"""The demo practice's blog: categories, a short series, articles, a post made from a
letter the demo client agreed to share, and readers' comments."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from coachapp.auth.models import User
from coachapp.blog.consent_rules import addressee_consents
from coachapp.blog.consents import ConsentRefused, give_consent
from coachapp.blog.models import (
    BlogProfile,
    Category,
    Comment,
    CommentStatus,
    ConsentMethod,
    Post,
    PostStatus,
    Series,
)
from coachapp.blog.post_services import save_category, save_series
from coachapp.blog.publishing import (
    PublishRefused,
    check_post,
    post_from_letter,
    profile_replacement_words,
    publish_post,
    tags_named,
)
from coachapp.blog.services import blog_profile, unique_slug
from coachapp.clients.models import Adult, Client
from coachapp.extensions import db
from coachapp.letters.models import Letter, LetterStatus
from coachapp.timeutil import utcnow

SOCIAL_LINKS = "Instagram https://instagram.com/harbourparentcoaching\nWebsite https://harbour-parent-coaching.example"


@dataclass(frozen=True)
class DemoPost:
    """An article in the demo blog; days_ago < 0 means scheduled for the future."""

    title: str
    excerpt: str
    body: str
    days_ago: int
    category: str
    tags: tuple[str, ...] = ()
    series_part: int | None = None


SERIES_TITLE = "30 day challenge: gentle with yourself"
SERIES_DESCRIPTION = (
    "One small prompt a day for parents who are hard on themselves. Read one each morning; "
    "none takes more than five minutes."
)

DEMO_POSTS = (
    DemoPost(
        "The myth of the perfect mum",
        "Nobody you admire at the school gate is doing it perfectly. Here is what I hear, "
        "week after week, from mothers who are sure they are failing.",
        "Almost every mother I work with says some version of the same sentence in our first "
        "session: *everyone else seems to manage*.\n\n"
        "They don't. What you see at the school gate is the part people choose to show. What "
        "you feel at two in the morning is the part nobody shows.\n\n"
        "## What good enough looks like\n\n"
        "Children do not need a parent who never gets it wrong. They need one who comes back "
        "after getting it wrong: who says sorry, who tries again, who stays.\n\n"
        "If you are reading this at the end of a long day, wondering whether you did enough: "
        "the fact that you are wondering is part of the answer.",
        40,
        "Personal development",
        ("guilt", "motherhood"),
    ),
    DemoPost(
        "Going back to work without the guilt",
        "Returning to work is not abandoning your child. Three questions that help parents "
        "make the decision, and live with it.",
        "The decision to go back to work, or to stay home, is rarely made once. Many parents "
        "make it again every morning at the nursery door.\n\n"
        "Three questions I ask:\n\n"
        "1. What would you tell a friend in your place?\n"
        "2. What does your child actually need from you this year?\n"
        "3. What do *you* need, to be the parent you want to be?\n\n"
        "There is no answer that is right for every family. There is one that is right for yours.",
        25,
        "Working parents",
        ("returning to work", "guilt"),
    ),
    DemoPost(
        "Day 1: Notice the voice",
        "Today, only notice how you speak to yourself. Nothing to fix yet.",
        "Today, each time you catch yourself thinking *I should have*, simply notice it. "
        "Write down one of those sentences tonight.\n\nThat is all. Noticing is the first step.",
        9,
        "Personal development",
        ("30 day challenge",),
        1,
    ),
    DemoPost(
        "Day 2: Would you say it to a friend?",
        "Take yesterday's sentence and imagine a friend said it about herself.",
        "Read the sentence you wrote down yesterday. Imagine a friend said it about herself. "
        "What would you answer her?\n\nWrite that answer underneath. Read it twice.",
        8,
        "Personal development",
        ("30 day challenge",),
        2,
    ),
    DemoPost(
        "Day 3: One thing that went well",
        "Before sleep, write down one moment today that went well with your child.",
        "It can be tiny: a laugh at breakfast, a hand held on the way to school.\n\n"
        "Our minds keep score of what went wrong; today, keep score of one thing that went right.",
        7,
        "Personal development",
        ("30 day challenge",),
        3,
    ),
    DemoPost(
        "Day 4: Rest is not a reward",
        "You do not have to earn rest by finishing everything first.",
        "Choose ten minutes today that belong to you, before the list is done.",
        -3,
        "Personal development",
        ("30 day challenge",),
        4,
    ),
    DemoPost(
        "Day 5: The sentence you would like to hear",
        "Write the sentence you wish someone would say to you about your parenting.",
        "Think of a person whose opinion matters to you. If they watched one ordinary "
        "afternoon with your children, what would you like them to say?\n\n"
        "Write their sentence down, in their words. Can you say it to yourself?",
        -4,
        "Personal development",
        ("30 day challenge",),
        5,
    ),
    DemoPost(
        "Day 6: A mistake you repaired",
        "Remember a time you got it wrong with your child and then made it right.",
        "Repair matters more than never slipping. Remember one time you came back after "
        "a hard moment: an apology, a hug, a second try.\n\n"
        "What did your child learn from the way you came back?",
        -5,
        "Personal development",
        ("30 day challenge",),
        6,
    ),
    DemoPost(
        "Day 7: Looking back on the first week",
        "Read what you wrote this week, as a friend would read it.",
        "Read your notes from days 1 to 6 in one go, slowly.\n\n"
        "What has changed, even a little, in the way you speak to yourself?",
        -6,
        "Personal development",
        ("30 day challenge",),
        7,
    ),
)

# (post title, name, e-mail, text, status, days after the post)
DEMO_COMMENTS = (
    (
        "The myth of the perfect mum",
        "Priya",
        "priya@example.com",
        "I read this on the bus home and had to look out of the window for a while. Thank you.",
        CommentStatus.APPROVED,
        2,
    ),
    (
        "The myth of the perfect mum",
        "Tom",
        "",
        "As a dad I feel this too. The school gate is no easier for us.",
        CommentStatus.APPROVED,
        5,
    ),
    (
        "Day 2: Would you say it to a friend?",
        "Claire",
        "claire@example.com",
        "Day 2 made me cry, in a good way. Starting again from day 1 with my sister.",
        CommentStatus.PENDING,
        1,
    ),
)


def seed_demo_blog(coach: User) -> None:
    """The demo coach's blog, once: skipped when the coach has any post already."""
    if db.session.scalar(select(Post.id).where(Post.author_id == coach.id).limit(1)):
        return
    profile = blog_profile(coach)
    profile.social_links = SOCIAL_LINKS
    db.session.add(profile)
    categories = {
        name: _category(coach, name) for name in ("Personal development", "Working parents")
    }
    series = Series(practice_id=coach.practice_id)
    save_series(series, SERIES_TITLE, SERIES_DESCRIPTION, 30)
    posts = {demo.title: _add_post(coach, demo, categories, series) for demo in DEMO_POSTS}
    letter_post = _post_from_shared_letter(coach, profile, categories["Personal development"])
    if letter_post is not None:
        posts[letter_post.title] = letter_post
    _add_comments(coach, posts)
    db.session.flush()


def _category(coach: User, name: str) -> Category:
    category = Category(practice_id=coach.practice_id)
    save_category(category, name, "")
    return category


def _add_post(coach: User, demo: DemoPost, categories: dict, series: Series) -> Post:
    post = Post(
        author_id=coach.id,
        title=demo.title,
        slug=unique_slug(Post, demo.title),
        excerpt=demo.excerpt,
        body=demo.body,
        category=categories[demo.category],
        series=series if demo.series_part else None,
        series_position=demo.series_part,
        tags=tags_named(coach.practice_id, list(demo.tags)),
        from_letter=False,
    )
    db.session.add(post)
    db.session.flush()
    when = utcnow() - timedelta(days=demo.days_ago, hours=3)
    publish_post(post, when)  # a moment in the future schedules the post
    if post.status is PostStatus.PUBLISHED:
        post.publish_at = when  # back-dated, as if written over the past weeks
    return post


def _agree(letter: Letter, adult: Adult, coach: User) -> None:
    """The addressee agrees in their portal, or by e-mail when they have no sign-in."""
    if adult.user is not None:
        give_consent(letter, adult.user, ConsentMethod.PORTAL, adult=adult)
    else:
        give_consent(letter, coach, ConsentMethod.EMAIL, "Agreed by e-mail.", adult=adult)


def _post_from_shared_letter(coach: User, profile: BlogProfile, category: Category) -> Post | None:
    """The demo client agreed in her portal to share her sent letter; it is published."""
    letter = db.session.scalars(
        select(Letter)
        .join(Client)
        .where(Letter.coach_id == coach.id, Letter.status == LetterStatus.SENT)
        .where(Client.adults.any(Adult.user_id.is_not(None)))
        .order_by(Letter.id)
    ).first()
    if letter is None:
        return None
    try:
        for party in addressee_consents(letter):
            if party.standing is None:
                _agree(letter, party.adult, coach)
        post = post_from_letter(letter, coach, profile_replacement_words(profile))
    except (ConsentRefused, PublishRefused):
        return None
    post.title = "A letter to a mother going back to work"
    post.slug = unique_slug(Post, post.title, post.id)
    post.excerpt = (
        "A parent I work with agreed that I may share the letter I wrote her after our first "
        "session, without names, in case it helps someone else."
    )
    post.category = category
    post.tags = tags_named(coach.practice_id, ["letters", "returning to work"])
    db.session.flush()
    if check_post(post).clean:
        publish_post(post)
        post.publish_at = utcnow() - timedelta(days=14)
    return post


def _add_comments(coach: User, posts: dict[str, Post]) -> None:
    for title, name, email, body, status, days_after in DEMO_COMMENTS:
        post = posts.get(title)
        if post is None or post.publish_at is None:
            continue
        created = post.publish_at + timedelta(days=days_after)
        comment = Comment(
            post_id=post.id,
            author_name=name,
            author_email=email,
            body=body,
            status=status,
            created_at=created,
            approved_at=created + timedelta(hours=3) if status is CommentStatus.APPROVED else None,
        )
        db.session.add(comment)
        if name == "Priya":
            db.session.flush()
            db.session.add(
                Comment(
                    post_id=post.id,
                    parent_id=comment.id,
                    author_name=coach.name,
                    body=("Thank you, Priya. Looking out of the window for a while is allowed."),
                    status=CommentStatus.APPROVED,
                    user_id=coach.id,
                    created_at=created + timedelta(hours=4),
                    approved_at=created + timedelta(hours=4),
                )
            )
