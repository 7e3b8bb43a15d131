"""Merge fields: what a letter template may say, checked when saved and filled in safely.

A template is Markdown with Jinja-style fields (``{{ client.first_name }}``) and simple
``{% if %}`` / ``{% for %}`` blocks. Templates are written by coaches, so they are treated
as untrusted code: each one is parsed by a fresh immutable sandbox (never the app's own
Jinja environment), its syntax tree is walked and anything beyond known fields, a short
list of filters, ``if`` and ``for`` is refused with a message naming the line. Rendering
sees only plain values (strings, numbers, lists and dicts of them) and stops past a time
and an output size; every text built along the way (by a filter or by ``~``) is held to the
same size and time, so one expression cannot fill the memory before any output is checked.
Knows nothing of Flask or the database.
"""

import difflib
import math
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from types import TracebackType
from typing import Any

from jinja2 import (
    StrictUndefined,
    Template,
    TemplateError,
    TemplateSyntaxError,
    nodes,
    pass_context,
)
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.parser import Parser
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

TEMPLATE_MAX_CHARS = 50_000
# As long as a letter may be (LETTER_MAX_CHARS), so every draft can be saved.
OUTPUT_MAX_CHARS = 100_000
RENDER_MAX_SECONDS = 1.0
# Filters, brackets, conditions and blocks inside one another: far more than a letter needs,
# and far from where Python stops compiling (200 brackets, 100 indents).
NESTING_MAX = 30
# More children or action items than anyone has; lists are cut here so loops stay short.
LIST_MAX_ITEMS = 100
DATE_FORMAT = "%-d %B %Y"  # 3 March 2026

# Text left in a letter for the coach to fill in: an empty field, or a prompt in a
# starter template. A letter cannot be approved while one remains.
MARKER = re.compile(r"\[\[([^\[\]\n]{1,80})\]\]")
ACTION_ITEMS_MARKER = "action items"


class MergeError(ValueError):
    """A template was refused or could not be filled in; the message says why and where."""

    def __init__(self, message: str, lineno: int | None = None):
        self.message = message
        self.lineno = lineno
        super().__init__(f"Line {lineno}: {message}" if lineno else message)


# What a coach reads when a template reaches a limit.
TOO_SLOW = "Filling in the template took too long; simplify its loops and filters."
TOO_DEEP = (
    f"This is nested too deeply: more than {NESTING_MAX} filters, brackets, conditions or "
    "blocks inside one another. Split it into simpler parts."
)
TOO_BIG = "Filling in the template needed too much memory; simplify its filters and ~."
JOIN_TOO_LONG = (
    f"“join” would make a text longer than {OUTPUT_MAX_CHARS:,} characters here. Join a "
    "list such as session.action_items, not a long text or the result of another join."
)


@dataclass(frozen=True)
class MergeField:
    """A field a template can use, with what it prints for the example client."""

    path: str
    description: str
    example: Any
    marker: str = ""  # what an empty value shows as, between [[ ]]
    item_fields: tuple[str, ...] = ()  # for lists of records: the fields of each item

    @property
    def is_list(self) -> bool:
        return isinstance(self.example, list)

    @property
    def usage(self) -> str:
        """How to write the field in a template."""
        if self.item_fields:
            inner = " ".join("{{ child." + name + " }}" for name in self.item_fields)
            return f"{{% for child in {self.path} %}}{inner}{{% endfor %}}"
        return "{{ " + self.path + " }}"

    @property
    def example_text(self) -> str:
        """What the example prints, as a coach reads it."""
        if self.item_fields:
            return ", ".join(
                f"{item['first_name']} ({item['age']})" for item in self.example
            )
        if self.is_list:
            return " · ".join(self.example)
        return str(self.example)


EXAMPLE_ACTION_ITEMS = [
    "Take ten minutes for yourself after the nursery drop-off",
    "Write down one moment each day when Lena laughed",
]
EXAMPLE_CHILDREN = [{"first_name": "Lena", "age": 4}, {"first_name": "Tom", "age": 7}]

FIELDS: tuple[MergeField, ...] = (
    MergeField(
        "client.first_name",
        "The first name of the person the letter is written to (the first, if several).",
        "Sofia",
        "first name",
    ),
    MergeField(
        "client.last_name",
        "Their last name (the first addressee's, if several).",
        "Marin",
        "last name",
    ),
    MergeField(
        "client.preferred_name",
        "The name they like to be called; their first name if none is recorded.",
        "Sofi",
        "preferred name",
    ),
    MergeField(
        "letter.addressee_names",
        "Everyone the letter is written to, by the names they like to be called.",
        "Sofi and Marc",
        "addressees' names",
    ),
    MergeField(
        "letter.addressee_full_names",
        "Everyone the letter is written to, by first and last name.",
        "Sofia Marin and Marc Duval",
        "addressees' full names",
    ),
    MergeField(
        "client.children_names",
        "The children's first names as a list in words.",
        "Lena and Tom",
        "children's names",
    ),
    MergeField(
        "client.children",
        "The children one by one, each with first_name and age (in years), for a loop.",
        EXAMPLE_CHILDREN,
        item_fields=("first_name", "age"),
    ),
    MergeField("coach.name", "Your name, as on your account.", "Maya Lindqvist", "your name"),
    MergeField(
        "coach.practice_name", "The name of your practice.", "Harbour Parent Coaching",
        "practice name",
    ),
    MergeField(
        "session.date",
        "The date of the session the letter follows, in your time zone.",
        "3 March 2026",
        "session date",
    ),
    MergeField(
        "session.summary",
        "The summary you wrote for the client (never the private notes).",
        "We talked about the first weeks at nursery and the guilt of the drop-off.",
        "session summary",
    ),
    MergeField(
        "session.action_items",
        "The next steps agreed in the session: printed as a bulleted list, or one by one "
        "in a loop.",
        EXAMPLE_ACTION_ITEMS,
    ),
    MergeField(
        "session.action_items_list",
        "The next steps agreed in the session as a bulleted list.",
        "\n".join(f"- {text}" for text in EXAMPLE_ACTION_ITEMS),
        ACTION_ITEMS_MARKER,
    ),
    MergeField("today", "Today's date.", "21 November 2026", "today's date"),
)
FIELDS_BY_PATH = {field.path: field for field in FIELDS}
GROUPS = ("client", "coach", "letter", "session")
LOOP_FIELDS = ("index", "first", "last", "length", "revindex")
ALLOWED_FILTERS = (
    "capitalize", "default", "first", "join", "last", "length", "lower", "title", "trim", "upper",
)
# How many arguments each filter may be given, e.g. join(", ") or default("my friend").
FILTER_ARGUMENTS = {"default": 1, "join": 1, "trim": 1}
# Filters whose argument must be text in quotes: a separator made of a field or another
# filter's result multiplies a text's length with every join.
LITERAL_ARGUMENTS = {"join": 'join(", ")', "trim": 'trim(".")'}
COMPARISONS = {"eq", "ne", "lt", "lteq", "gt", "gteq", "in", "notin"}


# Filling in


class EmptyValue(str):
    """An empty field: prints as its [[marker]], yet counts as false in {% if %}.

    A str subclass with no state of its own, so the sandbox treats it as plain text.
    """

    __slots__ = ()

    def __bool__(self) -> bool:
        return False


def empty(marker: str) -> EmptyValue:
    """The value of a field with nothing in it for this client or session."""
    return EmptyValue(f"[[{marker}]]")


def english_list(words: Iterable[str]) -> str:
    """'Lena', 'Lena and Tom', 'Lena, Tom and Mia' (no Oxford comma)."""
    words = [word for word in words if word]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def bullet_list(items: Iterable[str]) -> str:
    """Markdown bullets, one line per item."""
    return "\n".join(f"- {' '.join(item.split())}" for item in items)


def letter_context(
    *, client, coach, coaching_session=None, zone: tzinfo, today: date, addressees=None
) -> dict[str, Any]:
    """The merge values for one client (and session), as plain values only.

    ``client``, ``coach`` and ``coaching_session`` are read, never handed to the template.
    The client's names are the first addressee's, so templates written for one person
    still read well; without addressees, the letter is to the family's first adult.
    """
    addressees = list(addressees or [client.first_adult])
    addressee = addressees[0]
    children = [
        {
            "first_name": child.first_name,
            "age": today.year - child.birth_year
            if child.birth_year and child.birth_year <= today.year
            else empty(f"{child.first_name}'s age"),
        }
        for child in list(client.children)[:LIST_MAX_ITEMS]
    ]
    return {
        "client": {
            "first_name": addressee.first_name or empty("first name"),
            "last_name": addressee.last_name or empty("last name"),
            "preferred_name": addressee.preferred_name or addressee.first_name
            or empty("first name"),
            "children_names": english_list(c["first_name"] for c in children)
            or empty("children's names"),
            "children": children,
        },
        "letter": {
            "addressee_names": english_list(
                adult.preferred_name or adult.first_name for adult in addressees
            )
            or empty("addressees' names"),
            "addressee_full_names": english_list(
                f"{adult.first_name} {adult.last_name}".strip() for adult in addressees
            )
            or empty("addressees' full names"),
        },
        "coach": {
            "name": coach.name or empty("your name"),
            "practice_name": (coach.practice.name if coach.practice else "")
            or empty("practice name"),
        },
        "session": _session_values(coaching_session, zone),
        "today": today.strftime(DATE_FORMAT),
    }


def _session_values(coaching_session, zone: tzinfo) -> dict[str, Any]:
    if coaching_session is None:
        items: list[str] = []
        return {
            "date": empty("session date"),
            "summary": empty("session summary"),
            "action_items": items,
            "action_items_list": empty(ACTION_ITEMS_MARKER),
        }
    items = [item.text for item in coaching_session.action_items][:LIST_MAX_ITEMS]
    starts_at: datetime = coaching_session.starts_at
    return {
        "date": starts_at.astimezone(zone).strftime(DATE_FORMAT),
        "summary": coaching_session.summary.strip() or empty("session summary"),
        "action_items": items,
        "action_items_list": bullet_list(items) or empty(ACTION_ITEMS_MARKER),
    }


def example_context(coach=None) -> dict[str, Any]:
    """Values for the example client, with the coach's own name when given."""
    context: dict[str, Any] = {group: {} for group in GROUPS}
    for field in FIELDS:
        if "." in field.path:
            group, name = field.path.split(".")
            context[group][name] = field.example
        else:
            context[field.path] = field.example
    if coach is not None:
        context["coach"]["name"] = coach.name
        context["coach"]["practice_name"] = coach.practice.name if coach.practice else ""
    return context


def tidy(text: str) -> str:
    """No runs of blank lines where {% if %} blocks left nothing; one final newline."""
    text = re.sub(r"\n(?:[ \t]*\n){2,}", "\n\n", text.strip())
    return text + "\n" if text else ""


def remaining_markers(*texts: str) -> list[str]:
    """The [[markers]] still in the texts, each once, in order of appearance."""
    found: dict[str, None] = {}
    for text in texts:
        for match in MARKER.finditer(text or ""):
            found.setdefault(match.group(1).strip(), None)
    return list(found)


def render_text(source: str, context: dict[str, Any]) -> str:
    """Fill in a template; raises MergeError when it is refused or runs past a limit."""
    check_template(source)
    _check_plain(context)
    environment = _environment()
    template = _compile(environment, source)
    environment.start_clock()
    # The template's own generator, not Template.generate(): its frame tells the line a
    # limit was reached on.
    rendering = template.root_render_func(template.new_context(context))
    parts, size = [], 0
    try:
        for chunk in rendering:
            size += len(chunk)
            if size > OUTPUT_MAX_CHARS:
                raise MergeError(
                    f"The letter would be longer than {OUTPUT_MAX_CHARS:,} characters; "
                    "check the loops in the template.",
                    _current_line(template, rendering),
                )
            if environment.out_of_time():
                raise MergeError(TOO_SLOW, _current_line(template, rendering))
            parts.append(chunk)
    except MergeError as error:
        if error.lineno:
            raise
        raise MergeError(error.message, _line_of(template, error.__traceback__)) from None
    except TemplateError as error:
        raise MergeError(
            f"The template could not be filled in: {error.message}",
            _line_of(template, error.__traceback__),
        ) from None
    except (TypeError, ValueError, ArithmeticError, LookupError) as error:
        raise MergeError(
            f"The template could not be filled in ({error}).",
            _line_of(template, error.__traceback__),
        ) from None
    except RecursionError as error:
        raise MergeError(TOO_DEEP, _line_of(template, error.__traceback__)) from None
    except MemoryError as error:
        raise MergeError(TOO_BIG, _line_of(template, error.__traceback__)) from None
    finally:
        rendering.close()
    return "".join(parts)


def _compile(environment: ImmutableSandboxedEnvironment, source: str) -> Template:
    """The checked template as Python code; a limit of Python's own is a MergeError."""
    try:
        return environment.from_string(source)
    except (SyntaxError, RecursionError, MemoryError, OverflowError):
        # The checks keep templates well inside these limits; this is the last guard.
        raise MergeError(TOO_DEEP) from None


def _current_line(template: Template, rendering: Iterator[str]) -> int | None:
    """The template line a paused rendering has reached."""
    frame = getattr(rendering, "gi_frame", None)
    return template.get_corresponding_lineno(frame.f_lineno) if frame else None


def _line_of(template: Template, traceback: TracebackType | None) -> int | None:
    """The template line an error was raised on: the innermost frame of the template's code."""
    line = None
    while traceback is not None:
        if traceback.tb_frame.f_globals.get("__jinja_template__") is template:
            line = template.get_corresponding_lineno(traceback.tb_lineno)
        traceback = traceback.tb_next
    return line


def _printable(value: Any) -> Any:
    """{{ session.action_items }} prints as Markdown bullets (the only list that may print)."""
    if isinstance(value, list):
        return bullet_list(str(item) for item in value) or empty(ACTION_ITEMS_MARKER)
    return value


def default_filter(value: Any, fallback: Any = "") -> Any:
    """The value, or ``fallback`` when it is empty (unlike Jinja's, which checks undefined)."""
    return value if value else fallback


def _check_length(length: int, message: str) -> None:
    if length > OUTPUT_MAX_CHARS:
        raise MergeError(message)


class _BoundedCodeGenerator(CodeGenerator):
    """Compiles ``a ~ b`` to the sandbox's join_texts, which checks the length first."""

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.join_texts((")
        for part in node.nodes:
            self.visit(part, frame)
            self.write(", ")
        self.write("))")


class _Sandbox(ImmutableSandboxedEnvironment):
    """The sandbox one template is filled in by, with the moment it must stop.

    Every field read with a dot, filter and ``~`` checks the time, since an expression
    yields no output (where the letter's length and time are checked) until it is complete.
    """

    code_generator_class = _BoundedCodeGenerator
    deadline = math.inf

    def start_clock(self) -> None:
        """Filling in starts now and may take RENDER_MAX_SECONDS."""
        self.deadline = time.monotonic() + RENDER_MAX_SECONDS

    def out_of_time(self) -> bool:
        return time.monotonic() > self.deadline

    def check_time(self) -> None:
        if self.out_of_time():
            raise MergeError(TOO_SLOW)

    def getattr(self, obj: Any, attribute: str) -> Any:
        self.check_time()
        return super().getattr(obj, attribute)

    def join_texts(self, parts: tuple) -> str:
        """``a ~ b ~ c``, refused before it is built when it would be too long."""
        self.check_time()
        texts = [str(part) for part in parts]
        _check_length(
            sum(map(len, texts)),
            f"Joining texts with ~ would make a text longer than {OUTPUT_MAX_CHARS:,} "
            "characters here; join fewer or shorter texts.",
        )
        return "".join(texts)


def _filters_environment() -> ImmutableSandboxedEnvironment:
    """An environment holding the filter functions themselves, to call as Jinja would."""
    environment = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    environment.filters = {name: environment.filters.get(name) for name in ALLOWED_FILTERS}
    environment.filters["default"] = default_filter
    return environment


# Only read (call_filter), so one is shared by every render.
_FILTER_FUNCTIONS = _filters_environment()


def _bounded_filter(name: str) -> Callable:
    """The filter ``name``, checked for time before it runs and for length before and after.

    It takes the template's context, which also keeps Jinja from running it while compiling.
    """

    @pass_context
    def bounded_filter(context: Context, value: Any, *args: Any) -> Any:
        context.environment.check_time()
        if name == "join":
            _check_length(_joined_length(value, *args), JOIN_TOO_LONG)
        result = _FILTER_FUNCTIONS.call_filter(name, value, args, context=context)
        # A text handed back as it came in (default, a trim with nothing to trim) has not
        # grown, however long it is.
        if isinstance(result, str) and not any(result is given for given in (value, *args)):
            _check_length(
                len(result),
                f"“{name}” would make a text longer than {OUTPUT_MAX_CHARS:,} characters "
                "here; use it on a shorter text.",
            )
        return result

    bounded_filter.__name__ = f"bounded_{name}"
    return bounded_filter


def _joined_length(value: Any, separator: Any = "") -> int:
    """How long ``value|join(separator)`` would be, without building it."""
    if isinstance(value, str):
        count, length = len(value), len(value)
    else:
        texts = [str(item) for item in value]
        count, length = len(texts), sum(map(len, texts))
    return length + len(str(separator)) * max(count - 1, 0)


_BOUNDED_FILTERS = {name: _bounded_filter(name) for name in ALLOWED_FILTERS}


def _environment() -> _Sandbox:
    """A fresh sandbox: no globals, strict about unknown names, only the allowed filters.

    Autoescaping is off because the output is Markdown; it becomes HTML only through
    render_markdown, which escapes and sanitises it.
    """
    environment = _Sandbox(
        undefined=StrictUndefined,
        finalize=_printable,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        cache_size=0,
    )
    environment.globals.clear()
    environment.filters = dict(_BOUNDED_FILTERS)
    environment.tests = {}
    return environment


def _check_plain(value: Any, depth: int = 0) -> None:
    """Only str, int, bool, None, and lists and dicts of them may reach a template."""
    if depth > 4:
        raise TypeError("merge values are nested too deeply")
    if value is None or isinstance(value, str | int | bool):
        return
    if isinstance(value, list):
        for item in value:
            _check_plain(item, depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError("merge value keys must be strings")
            _check_plain(item, depth + 1)
        return
    raise TypeError(f"{type(value).__name__} is not a plain merge value")


# Checking


def check_template(source: str) -> str:
    """Parse and inspect a template; return it unchanged, or raise MergeError explaining why."""
    source = source or ""
    if len(source) > TEMPLATE_MAX_CHARS:
        raise MergeError(
            f"The template is {len(source):,} characters long; the limit is "
            f"{TEMPLATE_MAX_CHARS:,}."
        )
    _Checker().statements(_parse(source).body)
    return source


def _parse(source: str) -> nodes.Template:
    """The template's syntax tree; MergeError where it cannot be read, naming the line."""
    parser = None
    try:
        parser = Parser(_environment(), source)
        return parser.parse()
    except TemplateSyntaxError as error:
        raise MergeError(_syntax_message(error), error.lineno) from None
    except (RecursionError, MemoryError, OverflowError):
        # Brackets or blocks inside one another deeper than Jinja's parser can follow.
        raise MergeError(TOO_DEEP, _parsed_up_to(parser)) from None
    except ValueError as error:
        # Python refuses to read a number of more than 4,300 digits.
        raise MergeError(
            f"A number in the template is too long to read ({error}).", _parsed_up_to(parser)
        ) from None


def _parsed_up_to(parser: Parser | None) -> int | None:
    return parser.stream.current.lineno if parser is not None else None


def _syntax_message(error: TemplateSyntaxError) -> str:
    message = (error.message or "the template could not be read").rstrip(".")
    if "unknown tag" in message:
        return (
            f"{message}. Only {{% if %}}, {{% elif %}}, {{% else %}} and {{% for %}} "
            "blocks can be used."
        )
    return f"{message[0].upper()}{message[1:]}. Check the {{{{ }}}} and {{% %}} around it."


# What an expression stands for while checking: a field's kind or a loop's item.
TEXT, NUMBER, BOOL, LIST, RECORDS, RECORD, GROUP, LOOP = (
    "text", "number", "bool", "list", "records", "record", "group", "loop",
)


@dataclass(frozen=True)
class _Kind:
    kind: str
    path: str = ""


def _field_kind(field: MergeField) -> _Kind:
    if field.item_fields:
        return _Kind(RECORDS, field.path)
    return _Kind(LIST if field.is_list else TEXT, field.path)


class _Checker:
    """Walks a parsed template and refuses anything but fields, filters, if and for."""

    def __init__(self):
        self.loop_names: dict[str, _Kind] = {}
        self.depth = 0

    @contextmanager
    def nested(self, node: nodes.Node) -> Iterator[None]:
        """One level deeper; past NESTING_MAX, refused before Python's own limits are near."""
        self.depth += 1
        try:
            if self.depth > NESTING_MAX:
                raise MergeError(TOO_DEEP, node.lineno)
            yield
        finally:
            self.depth -= 1

    def statements(self, body: list[nodes.Node]) -> None:
        for node in body:
            self.statement(node)

    def statement(self, node: nodes.Node) -> None:
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                if not isinstance(child, nodes.TemplateData):
                    self.printed(child)
        elif isinstance(node, nodes.If):
            with self.nested(node):
                self.expression(node.test)
                self.statements(node.body)
                self.statements(node.elif_)
                self.statements(node.else_)
        elif isinstance(node, nodes.For):
            with self.nested(node):
                self.loop(node)
        else:
            raise MergeError(_refusal(node), node.lineno)

    def loop(self, node: nodes.For) -> None:
        if self.loop_names:
            raise MergeError("A loop inside another loop is not allowed.", node.lineno)
        if node.recursive:
            raise MergeError("Recursive loops are not allowed.", node.lineno)
        if not isinstance(node.target, nodes.Name):
            raise MergeError("Loop over one thing at a time: {% for child in ... %}.", node.lineno)
        name = node.target.name
        if name in GROUPS or name in FIELDS_BY_PATH or name == "loop":
            raise MergeError(f"Choose another name than “{name}” for the loop.", node.lineno)
        kind = self.expression(node.iter)
        if kind.kind not in (LIST, RECORDS) or not isinstance(node.iter, nodes.Getattr):
            raise MergeError(
                "A loop can only go through client.children or session.action_items.",
                node.lineno,
            )
        item = _Kind(RECORD, kind.path) if kind.kind == RECORDS else _Kind(TEXT, kind.path)
        self.loop_names = {name: item, "loop": _Kind(LOOP)}
        try:
            if node.test is not None:
                self.expression(node.test)
            self.statements(node.body)
        finally:
            self.loop_names = {}
        self.statements(node.else_)

    def printed(self, node: nodes.Node) -> None:
        """An expression inside {{ }}: text, a number, or the action items (as bullets)."""
        kind = self.expression(node)
        if kind.kind == RECORDS or (kind.kind == LIST and kind.path != "session.action_items"):
            raise MergeError(
                f"{kind.path} is a list and cannot be printed as it is: write "
                "{{ client.children_names }}, or go through it with "
                f"{{% for child in {kind.path} %}}.",
                node.lineno,
            )
        if kind.kind in (GROUP, RECORD, LOOP):
            raise MergeError(
                f"“{kind.path or 'loop'}” is a group of fields; name one of them, "
                f"e.g. {{{{ {_first_field_of(kind)} }}}}.",
                node.lineno,
            )

    def expression(self, node: nodes.Node) -> _Kind:
        with self.nested(node):
            return self.expression_kind(node)

    def expression_kind(self, node: nodes.Node) -> _Kind:
        if isinstance(node, nodes.Const):
            if not isinstance(node.value, str | int | float | bool | type(None)):
                raise MergeError("Only text and numbers can be written out.", node.lineno)
            return _Kind(NUMBER if isinstance(node.value, int | float) else TEXT)
        if isinstance(node, nodes.Name | nodes.Getattr):
            return self.field(node)
        if isinstance(node, nodes.Filter):
            return self.filtered(node)
        if isinstance(node, nodes.Compare):
            self.expression(node.expr)
            for operand in node.ops:
                if operand.op not in COMPARISONS:
                    raise MergeError("That comparison is not allowed.", node.lineno)
                self.expression(operand.expr)
            return _Kind(BOOL)
        if isinstance(node, nodes.And | nodes.Or):
            self.expression(node.left)
            self.expression(node.right)
            return _Kind(BOOL)
        if isinstance(node, nodes.Not):
            self.expression(node.node)
            return _Kind(BOOL)
        if isinstance(node, nodes.CondExpr):
            self.expression(node.test)
            kind = self.expression(node.expr1)
            if node.expr2 is not None:
                self.expression(node.expr2)
            return kind
        if isinstance(node, nodes.Concat):
            for part in node.nodes:
                self.printed(part)
            return _Kind(TEXT)
        raise MergeError(_refusal(node), node.lineno)

    def field(self, node: nodes.Name | nodes.Getattr) -> _Kind:
        """A field name, a loop's item or one of its fields; anything else is refused."""
        path = _dotted(node)
        if path is None:
            while isinstance(node.node, nodes.Getattr) and _dotted(node.node) is None:
                node = node.node  # name the first dot that goes wrong: ''.__class__
            raise MergeError(
                f"“.{node.attr}” cannot be used here: only merge fields can be followed by a "
                "dot, e.g. {{ client.first_name }}.",
                node.lineno,
            )
        head, _, rest = path.partition(".")
        if head in self.loop_names:
            return self.loop_field(self.loop_names[head], head, rest, node.lineno)
        if path in FIELDS_BY_PATH:
            return _field_kind(FIELDS_BY_PATH[path])
        if path in GROUPS:
            return _Kind(GROUP, path)
        raise MergeError(_unknown_field(path, self.loop_names), node.lineno)

    def loop_field(self, item: _Kind, head: str, rest: str, lineno: int) -> _Kind:
        if not rest:
            return item
        if item.kind == RECORD:
            field = FIELDS_BY_PATH[item.path]
            if rest in field.item_fields:
                return _Kind(TEXT if rest == "first_name" else NUMBER)
            fields = " and ".join(f"{head}.{name}" for name in field.item_fields)
            raise MergeError(f"“{head}.{rest}” is not a field: use {fields}.", lineno)
        if item.kind == LOOP and rest in LOOP_FIELDS:
            return _Kind(BOOL if rest in ("first", "last") else NUMBER)
        if item.kind == LOOP:
            allowed = ", ".join(f"loop.{name}" for name in LOOP_FIELDS)
            raise MergeError(f"“{head}.{rest}” is not available; use {allowed}.", lineno)
        raise MergeError(f"“{head}” is already the text itself: write {{{{ {head} }}}}.", lineno)

    def filtered(self, node: nodes.Filter) -> _Kind:
        if node.name not in ALLOWED_FILTERS:
            raise MergeError(_unknown_filter(node.name), node.lineno)
        if node.kwargs or node.dyn_args or node.dyn_kwargs:
            raise MergeError(f"Give the “{node.name}” filter plain values only.", node.lineno)
        most = FILTER_ARGUMENTS.get(node.name, 0)
        if len(node.args) > most:
            takes = f"at most {most} value" if most else "no values"
            raise MergeError(f"The “{node.name}” filter takes {takes} in brackets.", node.lineno)
        if node.node is None:
            raise MergeError(_refusal(node), node.lineno)
        kind = self.expression(node.node)
        for argument in node.args:
            if node.name in LITERAL_ARGUMENTS and not _is_text(argument):
                raise MergeError(
                    f"Write what goes in the brackets of “{node.name}” as text in quotes, "
                    f"e.g. {LITERAL_ARGUMENTS[node.name]}; a field or a filter cannot go there.",
                    node.lineno,
                )
            self.expression(argument)
        if node.name == "length":
            return _Kind(NUMBER)
        if node.name == "join":
            if kind.kind == RECORDS:
                raise MergeError(
                    "Join the children's names with {{ client.children_names }}.", node.lineno
                )
            return _Kind(TEXT)
        if node.name in ("first", "last"):
            if kind.kind == RECORDS:
                return _Kind(RECORD, kind.path)
            return _Kind(TEXT)
        return kind


def _is_text(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Const) and isinstance(node.value, str)


def _dotted(node: nodes.Node) -> str | None:
    """'client.first_name' for a chain of names and dots, else None."""
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        base = _dotted(node.node)
        return f"{base}.{node.attr}" if base is not None else None
    return None


def _first_field_of(kind: _Kind) -> str:
    if kind.kind == LOOP:
        return "loop.index"
    if kind.kind == RECORD:
        return f"child.{FIELDS_BY_PATH[kind.path].item_fields[0]}"
    return next(field.path for field in FIELDS if field.path.startswith(kind.path + "."))


def _unknown_field(path: str, loop_names: dict[str, _Kind]) -> str:
    message = f"“{path}” is not a merge field."
    suggestion = nearest_field(path, extra=[name for name in loop_names if name != "loop"])
    if suggestion:
        return f"{message} Did you mean {{{{ {suggestion} }}}}?"
    return f"{message} The fields you can use are listed beside the editor."


def nearest_field(name: str, extra: Iterable[str] = ()) -> str | None:
    """The known field closest to a misspelt one ('frist_name' → 'client.first_name')."""
    candidates: dict[str, str] = {}
    for field in FIELDS:
        candidates[field.path] = field.path
        candidates.setdefault(field.path.rsplit(".", 1)[-1], field.path)
    for loop_name in extra:
        candidates[loop_name] = loop_name
    key = name.lower()
    matches = difflib.get_close_matches(key, list(candidates), n=1, cutoff=0.6)
    if not matches:
        matches = difflib.get_close_matches(key.rsplit(".", 1)[-1], list(candidates), 1, 0.75)
    return candidates[matches[0]] if matches else None


def _unknown_filter(name: str) -> str:
    message = f"The filter “{name}” is not allowed."
    close = difflib.get_close_matches(name, ALLOWED_FILTERS, n=1, cutoff=0.7)
    if close:
        message += f" Did you mean “{close[0]}”?"
    return f"{message} Filters you can use: {', '.join(ALLOWED_FILTERS)}."


_REFUSALS: tuple[tuple[type, str], ...] = (
    ((nodes.Assign, nodes.AssignBlock), "{% set %} is not allowed in a letter template."),
    ((nodes.Macro, nodes.CallBlock), "Macros are not allowed in a letter template."),
    (
        (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport, nodes.Block),
        "A letter template cannot include, import or extend other templates.",
    ),
    ((nodes.Call,), "Calling functions (such as range()) is not allowed in a letter template."),
    (
        (nodes.Getitem, nodes.Slice),
        "Square brackets are not allowed: write fields with dots, e.g. {{ client.first_name }}.",
    ),
    ((nodes.Test,), "“is” tests are not allowed: write {% if client.children %} and the like."),
    (
        (nodes.BinExpr, nodes.UnaryExpr),
        "Arithmetic is not allowed in a letter template.",
    ),
    ((nodes.List, nodes.Tuple, nodes.Dict), "Lists and dictionaries cannot be written here."),
    ((nodes.FilterBlock,), "{% filter %} blocks are not allowed; use a filter on a field."),
)


def _refusal(node: nodes.Node) -> str:
    for types, message in _REFUSALS:
        if isinstance(node, types):
            return message
    return (
        f"“{type(node).__name__}” is not allowed in a letter template: only fields, "
        "filters, {% if %} and {% for %}."
    )
