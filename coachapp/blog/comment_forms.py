"""The form a reader fills in to comment on a post, and the author's reply."""

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from coachapp.blog.comments import COMMENT_MAX_CHARS, count_links
from coachapp.formfields import optional_email_field, strip


class CommentForm(FlaskForm):
    """A reader's name, optional e-mail (never shown) and comment."""

    author_name = StringField(
        "Your name", [DataRequired("Please tell us your name."), Length(max=80)], filters=[strip]
    )
    author_email = optional_email_field("E-mail (optional, never shown)")
    body = TextAreaField(
        "Comment",
        [DataRequired("Please write your comment."), Length(max=COMMENT_MAX_CHARS)],
        filters=[strip],
    )
    # A trap for robots, which fill in every field they find: it is moved off screen for
    # sighted readers, skipped by the Tab key, and its label asks everyone else to leave it.
    website = StringField(
        "Leave this field empty (it is here to catch spam robots)",
        filters=[strip],
        render_kw={"tabindex": "-1", "autocomplete": "off"},
    )

    def validate_body(self, field) -> None:
        """Refuse comments with many links, the mark of most spam."""
        limit = current_app.config["COMMENT_MAX_LINKS"]
        if count_links(field.data) > limit:
            noun = "link" if limit == 1 else "links"
            raise ValidationError(f"Please include at most {limit} {noun}.")

    def filled_by_robot(self) -> bool:
        """Whether the hidden trap field was filled in, which people do not do."""
        return bool(self.website.data)


class ReplyForm(FlaskForm):
    """The post author's public answer to a reader's comment."""

    body = TextAreaField(
        "Your reply",
        [DataRequired("Please write your reply."), Length(max=COMMENT_MAX_CHARS)],
        filters=[strip],
    )
