"""Starter note templates every coach has: structures that prefill a session's private notes."""

from dataclasses import dataclass


@dataclass(frozen=True)
class StarterNoteTemplate:
    """A note template that ships with coachapp; coaches add their own beside these."""

    key: str
    name: str
    body: str


STARTER_NOTE_TEMPLATES = (
    StarterNoteTemplate(
        key="grow",
        name="GROW: Goal, Reality, Options, Way forward",
        body=(
            "## Goal\nWhat does the parent want from this session, and from our work together?\n\n"
            "## Reality\nWhat is happening now? What have they tried? What feelings came up "
            "(guilt, fear, relief)?\n\n"
            "## Options\nWhat could they do? What would a friend in their place be told?\n\n"
            "## Way forward\nWhat will they do, by when? How will they know it helped?\n"
        ),
    ),
    StarterNoteTemplate(
        key="intake",
        name="First session: getting to know the family",
        body=(
            "## The family\nWho lives at home; children's names and ages; other carers.\n\n"
            "## What brought them here\nIn their own words.\n\n"
            "## What they carry\nGuilt, worries, old decisions they return to.\n\n"
            "## Strengths\nWhat is already going well; who supports them.\n\n"
            "## Hopes for coaching\nWhat would be different in three months?\n\n"
            "## Agreed\nHow often we meet, how they like to be contacted, next session.\n"
        ),
    ),
    StarterNoteTemplate(
        key="work-home",
        name="Work and home: a decision grid",
        body=(
            "## The choice\nFor example: return to work full time, part time, or stay home.\n\n"
            "| | Gains for me | Gains for my child | Costs for me | Costs for my child |\n"
            "|---|---|---|---|---|\n"
            "| Option A | | | | |\n"
            "| Option B | | | | |\n\n"
            "## Whose voice is the guilt?\nMine, my parents', friends', social media?\n\n"
            "## What matters most\nThree values, in order.\n\n"
            "## A small experiment\nOne step to try before deciding.\n"
        ),
    ),
)
