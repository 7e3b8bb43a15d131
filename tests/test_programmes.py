"""Programmes: a coach writes daily prompts (or makes them from a blog series), enrols an
adult of a family, and pauses, resumes or finishes the enrolment; each day arrives on the
adult's own rhythm, in their own time zone."""

import html
from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import func, select

from coachapp.audit.models import AuditAction, AuditEvent
from coachapp.auth.models import User
from coachapp.blog.models import Series
from coachapp.clients.models import Client
from coachapp.extensions import db
from coachapp.journal.models import JournalEntry
from coachapp.programmes import schedule
from coachapp.programmes.models import (
    Enrolment,
    EnrolmentStatus,
    Programme,
    Prompt,
    Rhythm,
)
from coachapp.programmes.services import day_releases, enrol, pause_enrolment, resume_enrolment
from tests.conftest import statements_for, ticked
from tests.factories import (
    PASSWORD,
    add_family_adult,
    make_client,
    make_client_login,
    make_coach,
    make_post,
)

# Wednesday 2 December 2026, noon in London.
NOON = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
QUESTION_DAYS = (
    ("What is your biggest failure?", "Write it down.\n\nWhat is your biggest failure?"),
    ("Would you say it to a friend?", "Read yesterday's sentence.\n\nWould you say it?"),
    ("One thing that went well", "Before sleep, one good moment.\n\nWhat went well today?"),
)


def page_text(response) -> str:
    """The page as a reader sees its characters (an apostrophe, not &#39;)."""
    return html.unescape(response.get_data(as_text=True))


def make_programme(coach: User, title: str = "30 day challenge", days=QUESTION_DAYS) -> Programme:
    programme = Programme(coach_id=coach.id, title=title, description="Gentle prompts.")
    programme.prompts = [
        Prompt(day=number, title=title, body=body)
        for number, (title, body) in enumerate(days, start=1)
    ]
    db.session.add(programme)
    db.session.commit()
    return programme


def enrolment_of(adult, programme, start: date, rhythm=Rhythm.DAILY, weekdays="") -> Enrolment:
    """An enrolment built in memory, for the schedule's arithmetic."""
    enrolment = Enrolment(
        programme=programme, client_id=adult.client_id, adult=adult, start_date=start,
        counting_from=start, counted_days=0, rhythm=rhythm, weekdays=weekdays,
        status=EnrolmentStatus.ACTIVE,
    )
    db.session.add(enrolment)
    db.session.commit()
    return enrolment


@pytest.fixture(autouse=True)
def clock():
    """Every test starts at NOON (the clock ticks on), whatever today's date is."""
    with time_machine.travel(NOON):
        yield


@pytest.fixture
def practice(app, browser):
    """A coach (signed in) with a programme, and Sofia's family (with a portal sign-in in
    London) and its second adult Marc (none)."""
    with app.app_context():
        coach = make_coach()
        family = make_client(coach)
        make_client_login(family)
        marc = add_family_adult(family)
        programme = make_programme(coach)
        ids = {
            "coach": coach.id, "client": family.id, "sofia": family.first_adult.id,
            "marc": marc.id, "programme": programme.id,
            "prompts": [prompt.id for prompt in programme.prompts],
        }
    browser.login("coach@example.com", PASSWORD)
    return ids


@pytest.fixture
def other_coach(app):
    """Another coach of another practice, with a programme and an enrolled client."""
    with app.app_context():
        coach = make_coach("other@example.com", "Ines Roth")
        family = make_client(coach, "Hana", email="hana@example.com")
        programme = make_programme(coach, "Their own programme")
        enrolment = enrolment_of(family.first_adult, programme, NOON.date())
        return {
            "programme": programme.id, "prompt": programme.prompts[0].id,
            "enrolment": enrolment.id, "client": family.id, "adult": family.first_adult.id,
        }


def enrol_form(**overrides) -> dict:
    data = {
        "programme_id": "", "adult_id": "", "start_date": "2026-12-02",
        "rhythm": "daily",
    }
    data.update(overrides)
    return data


# The schedule: which day has arrived where the adult lives


def test_a_client_in_los_angeles_gets_day_two_at_her_midnight_not_londons(app):
    with app.app_context():
        coach = make_coach()
        family = make_client(coach)
        make_client_login(family).timezone = "America/Los_Angeles"
        enrolment = enrolment_of(family.first_adult, make_programme(coach), date(2026, 12, 1))

        # 07:59 UTC on 2 December: midnight has passed in London, not in Los Angeles.
        with time_machine.travel(datetime(2026, 12, 2, 7, 59, tzinfo=UTC), tick=False):
            assert schedule.adult_today(enrolment) == date(2026, 12, 1)
            assert schedule.day_reached(enrolment, schedule.adult_today(enrolment)) == 1
        with time_machine.travel(datetime(2026, 12, 2, 8, 0, tzinfo=UTC), tick=False):
            assert schedule.day_reached(enrolment, schedule.adult_today(enrolment)) == 2


def test_the_days_keep_coming_one_a_day_across_the_clock_changes(app):
    with app.app_context():
        coach = make_coach()
        family = make_client(coach)
        make_client_login(family).timezone = "Europe/London"
        enrolment = enrolment_of(family.first_adult, make_programme(coach), date(2026, 3, 28))

        # British Summer Time begins on Sunday 29 March: London midnight is 23:00 UTC.
        moments_and_days = [
            (datetime(2026, 3, 28, 23, 30, tzinfo=UTC), 1),  # 23:30 GMT on the 28th
            (datetime(2026, 3, 29, 22, 59, tzinfo=UTC), 2),  # 23:59 BST on the 29th
            (datetime(2026, 3, 29, 23, 0, tzinfo=UTC), 3),  # 00:00 BST on the 30th
        ]
        for moment, day in moments_and_days:
            with time_machine.travel(moment, tick=False):
                assert schedule.day_reached(enrolment, schedule.adult_today(enrolment)) == day

        # And back to GMT on Sunday 25 October: one day is still one day.
        enrolment.start_date = enrolment.counting_from = date(2026, 10, 24)
        with time_machine.travel(datetime(2026, 10, 25, 23, 59, tzinfo=UTC), tick=False):
            assert schedule.day_reached(enrolment, schedule.adult_today(enrolment)) == 2
        with time_machine.travel(datetime(2026, 10, 26, 0, 0, tzinfo=UTC), tick=False):
            assert schedule.day_reached(enrolment, schedule.adult_today(enrolment)) == 3


def test_weekdays_and_chosen_days_skip_the_other_days(app):
    with app.app_context():
        coach = make_coach()
        adult = make_client(coach).first_adult
        programme = make_programme(coach)
        friday = date(2026, 12, 4)
        weekdays = enrolment_of(adult, programme, friday, Rhythm.WEEKDAYS)
        assert [schedule.day_reached(weekdays, date(2026, 12, d)) for d in (4, 5, 6, 7)] == [
            1, 1, 1, 2,
        ]
        # Mondays and Thursdays, from Friday: the first day arrives on Monday.
        chosen = enrolment_of(adult, programme, friday, Rhythm.CHOSEN_DAYS, "1,4")
        assert [schedule.day_reached(chosen, date(2026, 12, d)) for d in (4, 7, 9, 10)] == [
            0, 1, 1, 2,
        ]
        assert [release.on for release in day_releases(chosen, friday)] == [
            date(2026, 12, 7), date(2026, 12, 10), date(2026, 12, 14),
        ]


def test_a_pause_and_resume_neither_skips_nor_repeats_a_day(app):
    with app.app_context():
        coach = make_coach()
        family = make_client(coach)
        make_client_login(family)
        enrolment = enrolment_of(family.first_adult, make_programme(coach), date(2026, 11, 30))

        with time_machine.travel(datetime(2026, 12, 2, 12, tzinfo=UTC), tick=False):
            assert schedule.day_reached(enrolment, schedule.adult_today(enrolment)) == 3
            pause_enrolment(enrolment)
        with time_machine.travel(datetime(2026, 12, 5, 12, tzinfo=UTC), tick=False):
            assert schedule.day_reached(enrolment, schedule.adult_today(enrolment)) == 3
            resume_enrolment(enrolment)
            assert schedule.day_reached(enrolment, schedule.adult_today(enrolment)) == 3
        with time_machine.travel(datetime(2026, 12, 6, 12, tzinfo=UTC), tick=False):
            assert schedule.day_reached(enrolment, schedule.adult_today(enrolment)) == 4


# Writing programmes


def test_a_coach_writes_a_programme_and_its_days_in_order(app, client, practice):
    response = client.post(
        "/programmes/new", data={"title": "Calm mornings", "description": "*Why*"}
    )
    assert response.status_code == 302
    programme_url = response.headers["Location"]
    client.post(
        f"{programme_url}/prompts/new", data={"day": "2", "title": "Second", "body": "Why?"}
    )
    response = client.post(
        f"{programme_url}/prompts/new", data={"day": "1", "title": "First", "body": "How?"},
        follow_redirects=True,
    )
    page = page_text(response)
    assert "Day added." in page
    assert page.index("Day 1: ") < page.index("Day 2: ")
    assert "<em>Why</em>" in page
    page = page_text(client.get("/programmes/"))
    assert "Calm mornings" in page and "2 days" in page


def test_a_prompt_without_a_question_is_saved_with_a_warning(app, client, practice):
    response = client.post(
        f"/programmes/{practice['programme']}/prompts/new",
        data={"day": "4", "title": "Rest", "body": "Choose ten minutes today."},
        follow_redirects=True,
    )
    page = page_text(response)
    assert "Day added." in page
    assert "Day 4 does not end in a question" in page
    assert "does not end in a question" in page.split("Who follows it")[0]


@pytest.mark.parametrize(
    ("day", "title", "message"),
    [
        ("2", "A second day 2", "Day 2 has a prompt already"),
        ("0", "Day nought", "Use a day from 1 to 366."),
        ("two", "Typed in words", "“two” is not a whole number."),
        ("5", "", "Give the prompt a title."),
    ],
)
def test_a_refused_prompt_is_shown_again_as_typed(app, client, practice, day, title, message):
    response = client.post(
        f"/programmes/{practice['programme']}/prompts/new",
        data={"day": day, "title": title, "body": "Typed with care: is it kept?"},
    )
    assert response.status_code == 400
    page = page_text(response)
    assert message in page
    assert "Typed with care: is it kept?" in page
    assert f'value="{day}"' in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Prompt.id))) == 3


def test_moving_a_day_to_another_number_reorders_the_programme(app, client, practice):
    first = practice["prompts"][0]
    client.post(
        f"/programmes/{practice['programme']}/prompts/{first}/edit",
        data={"day": "9", "title": "Now the last", "body": "Last?"},
    )
    page = page_text(client.get(f"/programmes/{practice['programme']}"))
    assert page.index("Day 2: ") < page.index("Day 9: ") < page.index("Now the last")


def test_a_programme_without_a_title_is_shown_again_with_its_description(app, client, practice):
    response = client.post("/programmes/new", data={"title": " ", "description": "Kept text"})
    assert response.status_code == 400
    assert "Give the programme a title." in page_text(response)
    assert "Kept text" in page_text(response)


def test_the_list_of_programmes_takes_the_same_queries_however_many(app, client, practice):
    one = len(statements_for(app, client, "/programmes/"))
    with app.app_context():
        coach = db.session.get(User, practice["coach"])
        for number in range(5):
            programme = make_programme(coach, f"Programme {number}")
            enrolment_of(db.session.get(Client, practice["client"]).first_adult, programme,
                         NOON.date())
    assert len(statements_for(app, client, "/programmes/")) == one
    page = page_text(client.get("/programmes/"))
    assert page.count("1 following it now") == 5


def test_a_programmes_page_takes_the_same_queries_however_many_follow_it(app, client, practice):
    def enrol_someone(name: str) -> None:
        with app.app_context():
            coach = db.session.get(User, practice["coach"])
            family = make_client(coach, name, email=f"{name.lower()}@example.com")
            make_client_login(family)
            enrolment_of(family.first_adult, db.session.get(Programme, practice["programme"]),
                         NOON.date())

    url = f"/programmes/{practice['programme']}"
    enrol_someone("Ana")
    one = len(statements_for(app, client, url))
    for name in ("Bea", "Cleo", "Dana"):
        enrol_someone(name)
    assert len(statements_for(app, client, url)) == one
    assert page_text(client.get(url)).count("day 1 of 3") == 4


# Another coach's things


def test_another_coachs_programme_prompt_and_enrolment_are_not_found(
    app, client, practice, other_coach
):
    programme, prompt = other_coach["programme"], other_coach["prompt"]
    for url in (
        f"/programmes/{programme}",
        f"/programmes/{programme}/edit",
        f"/programmes/{programme}/delete",
        f"/programmes/{programme}/prompts/new",
        f"/programmes/{programme}/prompts/{prompt}/edit",
        f"/programmes/{practice['programme']}/prompts/{prompt}/edit",
        f"/programmes/enrolments/{other_coach['enrolment']}",
        f"/programmes/enrol?client_id={other_coach['client']}",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/programmes/{programme}/delete",
        f"/programmes/{programme}/prompts/{prompt}/delete",
        f"/programmes/enrolments/{other_coach['enrolment']}/pause",
        f"/programmes/enrolments/{other_coach['enrolment']}/finish",
    ):
        assert client.post(url).status_code == 404, url
    # Enrolling someone else's client, or in someone else's programme.
    response = client.post("/programmes/enrol", data=enrol_form(
        programme_id=str(programme), adult_id=str(practice["sofia"])))
    assert response.status_code == 404
    response = client.post("/programmes/enrol", data=enrol_form(
        programme_id=str(practice["programme"]), adult_id=str(other_coach["adult"])))
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count(Enrolment.id))) == 1
        assert db.session.get(Enrolment, other_coach["enrolment"]).status is EnrolmentStatus.ACTIVE


def test_a_client_cannot_open_the_coachs_programme_pages(app, client, browser, practice):
    browser.logout()
    browser.login("sofia@example.com", PASSWORD)
    assert client.get(f"/programmes/{practice['programme']}").status_code == 404
    assert client.get("/programmes/").status_code == 404


# Enrolling, pausing, resuming, finishing


def test_the_coach_enrols_sofia_from_her_familys_page(app, client, practice):
    page = page_text(client.get(f"/clients/{practice['client']}"))
    assert "Not enrolled in any programme." in page
    form_page = page_text(client.get(f"/programmes/enrol?client_id={practice['client']}"))
    assert 'value="2026-12-02"' in form_page  # today, in the coach's zone
    assert "Marc Duval: no portal sign-in yet" in form_page
    response = client.post(
        f"/programmes/enrol?client_id={practice['client']}",
        data=enrol_form(programme_id=str(practice["programme"]),
                        adult_id=str(practice["sofia"]), start_date="2026-12-01"),
        follow_redirects=True,
    )
    page = page_text(response)
    assert "Sofia Marin is enrolled in “30 day challenge”." in page
    assert "Day 2 of 3" in page
    assert "Tue 1 Dec 2026" in page and "Thu 3 Dec 2026" in page

    page = page_text(client.get(f"/clients/{practice['client']}"))
    assert "day 2 of 3 · 0 answered" in page


def test_enrolling_without_a_portal_sign_in_is_allowed_with_a_note(app, client, practice):
    response = client.post("/programmes/enrol", data=enrol_form(
        programme_id=str(practice["programme"]), adult_id=str(practice["marc"])),
        follow_redirects=True)
    page = page_text(response)
    assert "Marc Duval is enrolled" in page
    assert "has no portal sign-in yet: invite them" in page


def test_the_same_adult_cannot_be_enrolled_twice_while_following_it(app, client, practice):
    data = enrol_form(programme_id=str(practice["programme"]), adult_id=str(practice["sofia"]))
    assert client.post("/programmes/enrol", data=data).status_code == 302
    response = client.post("/programmes/enrol", data=data)
    assert response.status_code == 400
    assert "Sofia Marin already follows “30 day challenge”" in page_text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(Enrolment.id))) == 1


def test_chosen_days_need_at_least_one_day_and_the_form_keeps_what_was_chosen(
    app, client, practice
):
    response = client.post("/programmes/enrol", data=enrol_form(
        programme_id=str(practice["programme"]), adult_id=str(practice["sofia"]),
        rhythm="chosen_days", start_date="2026-12-09"))
    assert response.status_code == 400
    page = page_text(response)
    assert "Choose at least one day of the week." in page
    assert 'value="2026-12-09"' in page
    assert ticked(page, "rhythm") == ["chosen_days"]
    response = client.post("/programmes/enrol", data={**enrol_form(
        programme_id=str(practice["programme"]), adult_id=str(practice["sofia"]),
        rhythm="chosen_days"), "weekdays": ["1", "3"]}, follow_redirects=True)
    assert "Monday and Wednesday" in page_text(response)


def test_a_missing_choice_or_a_bad_date_is_refused_without_an_error_page(app, client, practice):
    for data in (
        enrol_form(adult_id=str(practice["sofia"])),
        enrol_form(programme_id="x", adult_id="somebody"),
        enrol_form(programme_id=str(practice["programme"]), adult_id=str(practice["sofia"]),
                   start_date="31/31/2026"),
        enrol_form(programme_id=str(practice["programme"]), adult_id=str(practice["sofia"]),
                   rhythm="hourly"),
    ):
        assert client.post("/programmes/enrol", data=data).status_code == 400, data


def test_pause_resume_and_finish_early_are_told_and_logged_for_the_adult(
    app, client, browser, practice
):
    client.post("/programmes/enrol", data=enrol_form(
        programme_id=str(practice["programme"]), adult_id=str(practice["sofia"]),
        start_date="2026-12-01"))
    with app.app_context():
        enrolment_id = db.session.scalar(select(Enrolment.id))
    url = f"/programmes/enrolments/{enrolment_id}"
    page = page_text(client.post(f"{url}/pause", follow_redirects=True))
    assert "Paused: Sofia Marin gets no new prompt until you resume." in page
    assert "Resume" in page
    page = page_text(client.post(f"{url}/pause", follow_redirects=True))
    assert "Only a running enrolment can be paused." in page
    with time_machine.travel(datetime(2026, 12, 5, 12, tzinfo=UTC), tick=False):
        browser.login("coach@example.com", PASSWORD)  # three days on: signed in again
        page = page_text(client.post(f"{url}/resume", follow_redirects=True))
        assert "Resumed: Sofia Marin's next prompt arrives tomorrow." in page
        assert "Day 2 of 3" in page
        assert "Sun 6 Dec 2026" in page  # day 3, the day after resuming
        page = page_text(client.post(f"{url}/finish", follow_redirects=True))
        assert "Finished: Sofia Marin keeps the days already reached." in page
        assert "Finish early" not in page

    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).order_by(AuditEvent.id)
            .where(AuditEvent.client_id == practice["client"])
        ).all()
        assert [a for a in actions if a != "client_viewed"] == [
            AuditAction.ENROLLED, AuditAction.ENROLMENT_PAUSED,
            AuditAction.ENROLMENT_RESUMED, AuditAction.ENROLMENT_FINISHED,
        ]
    browser.logout()
    browser.login("sofia@example.com", PASSWORD)
    page = page_text(client.get("/portal/activity"))
    for label in ("Enrolled you in a programme", "Paused your programme",
                  "Resumed your programme", "Finished your programme"):
        assert label in page


def test_progress_counts_answers_without_showing_any_text(app, client, practice):
    with app.app_context():
        programme = db.session.get(Programme, practice["programme"])
        sofia = db.session.get(Client, practice["client"]).first_adult
        enrolment = enrol(programme, sofia, date(2026, 11, 30), Rhythm.DAILY, [])
        for prompt, shared in zip(programme.prompts[:2], (None, NOON), strict=True):
            db.session.add(JournalEntry(
                client_id=sofia.client_id, adult_id=sofia.id, enrolment_id=enrolment.id,
                prompt_id=prompt.id, body=f"My private answer {prompt.day}", shared_at=shared,
            ))
        db.session.commit()
        enrolment_id = enrolment.id
    for url in (f"/programmes/enrolments/{enrolment_id}",
                f"/programmes/{practice['programme']}", f"/clients/{practice['client']}"):
        page = page_text(client.get(url))
        assert "2 answered" in page or "2 of the days reached" in page, url
        assert "My private answer 1" not in page, url


# Deleting


def test_a_programme_someone_follows_cannot_be_deleted_until_they_finish(app, client, practice):
    client.post("/programmes/enrol", data=enrol_form(
        programme_id=str(practice["programme"]), adult_id=str(practice["sofia"])))
    url = f"/programmes/{practice['programme']}/delete"
    assert "1 adult is still enrolled" in page_text(client.get(url))
    client.post(url)
    with app.app_context():
        assert db.session.get(Programme, practice["programme"]) is not None
        enrolment_id = db.session.scalar(select(Enrolment.id))
    client.post(f"/programmes/enrolments/{enrolment_id}/finish")
    assert "permanently removes the programme, its 3 days" in page_text(client.get(url))
    response = client.post(url, follow_redirects=True)
    assert "Programme “30 day challenge” deleted." in page_text(response)
    with app.app_context():
        assert db.session.get(Programme, practice["programme"]) is None
        assert db.session.scalar(select(func.count(Enrolment.id))) == 0


def test_removing_a_day_keeps_the_others(app, client, practice):
    client.post(f"/programmes/{practice['programme']}/prompts/{practice['prompts'][1]}/delete")
    page = page_text(client.get(f"/programmes/{practice['programme']}"))
    assert "Day 1: " in page and "Day 2: " not in page and "Day 3: " in page


# From a blog series


def test_a_series_becomes_a_programme_once_in_the_series_order(app, client, practice):
    with app.app_context():
        coach = db.session.get(User, practice["coach"])
        series = Series(practice_id=coach.practice_id, title="Gentle week", slug="gentle-week")
        db.session.add(series)
        db.session.flush()
        for title, position in (("Day 2: friend?", 2), ("Day 1: voice?", 1), ("Extra", None)):
            make_post(coach, title, series=series, series_position=position, body=f"{title} body?")
        series_id = series.id
    assert "Make a programme" in page_text(client.get("/posts/groups"))
    response = client.post(f"/posts/series/{series_id}/programme", follow_redirects=True)
    page = page_text(response)
    assert "Programme made from “Gentle week” with 3 days." in page
    assert page.index("Day 1: ") < page.index("Day 2: ") < page.index("Day 3: ")
    assert "Day 1: <a" in page and "voice?</a>" in page.split("Day 2: ")[0]

    response = client.post(f"/posts/series/{series_id}/programme", follow_redirects=True)
    assert "You made a programme from “Gentle week” already: here it is." in page_text(response)
    with app.app_context():
        [made] = db.session.scalars(select(Programme).where(Programme.series_id == series_id))
        assert [(p.day, p.title, p.post_id is not None) for p in made.prompts] == [
            (1, "voice?", True), (2, "friend?", True), (3, "Extra", True),
        ]


def test_another_practices_series_is_not_found(app, client, practice, other_coach):
    with app.app_context():
        other = db.session.scalar(select(User).where(User.email == "other@example.com"))
        series = Series(practice_id=other.practice_id, title="Theirs", slug="theirs")
        db.session.add(series)
        db.session.commit()
        series_id = series.id
    assert client.post(f"/posts/series/{series_id}/programme").status_code == 404


# The demo


def test_the_demo_has_sofia_at_day_four_of_the_30_day_challenge(app, client, browser):
    from coachapp.demo import (
        DEMO_CLIENT_EMAIL,
        DEMO_COACH_EMAIL,
        DEMO_COACH_PASSWORD,
        seed_demo_practice,
    )

    with app.app_context():
        for _ in range(2):  # a second run adds nothing
            seed_demo_practice()
            db.session.commit()
        [enrolment] = db.session.scalars(select(Enrolment)).all()
        assert enrolment.adult.email == DEMO_CLIENT_EMAIL
        assert enrolment.programme.series_id is not None
        assert [p.day for p in enrolment.programme.prompts][:7] == [1, 2, 3, 4, 5, 6, 7]
        assert schedule.day_reached(enrolment, schedule.adult_today(enrolment)) == 4
    browser.login(DEMO_COACH_EMAIL, DEMO_COACH_PASSWORD)
    page = page_text(client.get(f"/clients/{enrolment.client_id}"))
    assert "day 4 of 7" in page
