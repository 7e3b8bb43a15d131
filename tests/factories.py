"""Build coaches, clients and sessions for tests (call inside an app context)."""

from datetime import UTC, datetime, timedelta

from coachapp.auth.models import Role, User
from coachapp.auth.services import create_coach, set_password
from coachapp.clients.models import Child, Client
from coachapp.coaching.models import ActionItem, CoachingSession, SessionFormat
from coachapp.extensions import db

PASSWORD = "a-long-test-password"


def make_coach(email: str = "coach@example.com", name: str = "Maya Lindqvist", **kwargs) -> User:
    coach = create_coach(email, name, kwargs.pop("password", PASSWORD), **kwargs)
    db.session.commit()
    return coach


def make_client(coach: User, first_name: str = "Sofia", **kwargs) -> Client:
    children = kwargs.pop("children", [("Lena", 2024)])
    client = Client(
        coach_id=coach.id,
        first_name=first_name,
        last_name=kwargs.pop("last_name", "Marin"),
        email=kwargs.pop("email", f"{first_name.lower()}@example.com"),
        children=[Child(first_name=name, birth_year=year) for name, year in children],
        **kwargs,
    )
    db.session.add(client)
    db.session.commit()
    return client


def make_client_login(client: Client, password: str = PASSWORD) -> User:
    """Give a client a portal sign-in."""
    user = User(
        email=client.email,
        name=f"{client.first_name} {client.last_name}",
        role=Role.CLIENT,
        practice_id=client.coach.practice_id,
    )
    set_password(user, password)
    db.session.add(user)
    db.session.flush()
    client.user_id = user.id
    db.session.commit()
    return user


def make_coaching_session(client: Client, days_ago: int = 7, **kwargs) -> CoachingSession:
    action_items = kwargs.pop("action_items", [])
    coaching_session = CoachingSession(
        coach_id=client.coach_id,
        client_id=client.id,
        starts_at=datetime.now(UTC) - timedelta(days=days_ago),
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
