"""The letter templates every coach starts with, written for coachapp in its own words.

Each one is a personal letter, not a form: a warm greeting, what the parent feels and that
many parents feel it too, room for the coach's own words (a [[prompt]] the coach must
replace before the letter can be approved), reassurance, one or two gentle suggestions
and a sign-off. Coaches get their own copies, which they can change or delete.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class StarterTemplate:
    """A letter template shipped with coachapp."""

    key: str
    name: str
    subject: str
    body: str


FIRST_SESSION = StarterTemplate(
    key="first-session",
    name="Letter after a first session",
    subject="After our first session",
    body="""\
Dear {{ client.preferred_name }},

Thank you for our first session{% if session.date %} on {{ session.date }}{% endif %}. It takes \
courage to sit down with someone new and talk about the things that weigh on you most, and you \
did it with a great deal of honesty. I wanted to write to you while our conversation is still \
fresh.

{% if client.children %}
You spoke about {{ client.children_names }} with so much care. Even the worries you shared, \
about getting things wrong and about not being enough, come from that same care: you want the \
best for your family. That is where good parenting begins.
{% else %}
Even the worries you shared, about getting things wrong and about not being enough, come from \
a good place: you want the best for your family. That is where good parenting begins.
{% endif %}

Many of the parents I work with arrive feeling just as you do: tired, a little lost, and sure \
that everyone else has it all worked out. They don't. You are in good company, and you do not \
have to carry any of this alone.

[[a few words of your own about what struck you in this first conversation]]

Our work together is not about turning you into a different parent. It is about finding your \
own way, with a little more calm and a little less guilt, at a pace that suits you and your \
family. I will be beside you as you do.

{% if session.summary %}
Here is what we talked about, so you can come back to it whenever you like:

{{ session.summary }}
{% endif %}

{% if session.action_items %}
For the weeks ahead, we agreed on a few small steps:

{{ session.action_items_list }}

None of them needs to be done perfectly. Trying is what counts, and we will look at how it \
went together.
{% else %}
Between now and our next conversation, I would like you to try one small thing: each evening, \
notice one moment of the day that went well, however small, and write it down. We will look \
at those moments together.
{% endif %}

In the meantime, please be gentle with yourself. Looking after yourself is not selfish; it is \
part of looking after your family.

I am looking forward to our next session.

With warmth,

{{ coach.name }}
""",
)

PARENT_YOUR_CHILD_NEEDS = StarterTemplate(
    key="parent-your-child-needs",
    name="You are the parent your child needs",
    subject=(
        "You are the parent "
        "{% if client.children|length > 1 %}your children need{% else %}your child needs{% endif %}"
    ),
    body="""\
Dear {{ client.preferred_name }},

Since we spoke{% if session.date %} on {{ session.date }}{% endif %}, I have kept thinking about \
something you said: that you are not the parent you hoped you would be. I want to answer that \
properly, in writing, so that you can keep this letter and read it again on the hard days.

What you feel is not a sign that something is wrong with you. Nearly every parent I have worked \
with has carried the same quiet fear at some point: that others are doing it better, that \
mistakes have been made that can never be undone, that their children deserve someone calmer, \
wiser, more patient. The fear is very common. It is also, almost always, unfair.

[[a few lines from your own experience, as a parent or as a coach]]

{% if client.children %}
So here is what I see. {{ client.children_names }} \
{% if client.children|length > 1 %}do{% else %}does{% endif %} not need a perfect parent; no \
child does. What children need is a parent who keeps coming back: who gets it wrong sometimes, \
says sorry, and tries again. You do that, day after day. You are not the perfect parent in \
general. You are the right parent for {{ client.children_names }}, because you are theirs.
{% else %}
So here is what I see. Your child does not need a perfect parent; no child does. What children \
need is a parent who keeps coming back: who gets it wrong sometimes, says sorry, and tries \
again. You do that, day after day. You are not the perfect parent in general. You are the right \
parent for your child, because you are theirs.
{% endif %}

Two small things I would like you to try in the coming days:

- **Speak to yourself as you would to a friend.** When the harsh inner voice starts, pause and \
ask what you would say to a friend in your place. Then say it to yourself.
- **Take care of yourself first.** Find ten minutes a day that belong to you alone: a walk, a \
cup of tea in silence, a few pages of a book. A rested parent has more to give, and children \
learn kindness by watching us treat ourselves kindly.

You are doing better than you think. I am glad to be walking a part of this road with you.

With warmth,

{{ coach.name }}
""",
)

NEXT_STEPS = StarterTemplate(
    key="next-steps",
    name="Following up on our next steps",
    subject="Our next steps{% if session.date %}, after {{ session.date }}{% endif %}",
    body="""\
Dear {{ client.preferred_name }},

I hope the days since our session{% if session.date %} on {{ session.date }}{% endif %} have \
been kind to you. I wanted to write down the steps we agreed, so that you have them in one \
place and can come back to them when life gets busy.

{% if session.summary %}
Where we got to:

{{ session.summary }}
{% endif %}

These are the steps we agreed on:

{{ session.action_items_list }}

They are small on purpose. Change that lasts is made of small steps taken again and again, not \
of big resolutions. If one of them turns out to be too much right now, that is useful to know, \
not a failure: tell me, and we will make it smaller together.

Some weeks the steps will feel easy, and some weeks they will not happen at all. That is not \
going backwards; that is life with children. Many parents I work with have a week like that \
and think they have failed, when in fact they simply had a week. What matters is that you come \
back to the steps, and I know you will.

{% if client.children %}
You may find that {{ client.children_names }} notice the difference before you do. Children are \
quick to feel when a parent is a little calmer or a little more present, even when nothing is \
said.
{% endif %}

As you go, you might jot down a line or two about each step: what helped, what got in the way, \
how you felt. Bring your notes next time if you like; they often show more progress than we \
remember.

And please keep some time for yourself in all of this. Taking care of yourself is one of the \
steps, even though it is not on the list.

With warmth,

{{ coach.name }}
""",
)

STARTER_TEMPLATES: tuple[StarterTemplate, ...] = (
    FIRST_SESSION,
    PARENT_YOUR_CHILD_NEEDS,
    NEXT_STEPS,
)
