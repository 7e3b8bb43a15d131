"""Forms on the coach's side of the blog: posts, publishing, categories, series, profile."""

from datetime import datetime

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from coachapp.formfields import strip
from coachapp.ids import id_choice
from coachapp.letters.letterhead import PreparedImage
from coachapp.letters.letterhead_forms import check_social_links, prepared_upload

POST_MAX_CHARS = 100_000


class ImageUploadMixin:
    """Checks an uploaded image while validating, keeping the re-encoded bytes."""

    prepared_image: PreparedImage | None = None

    def prepare_upload(self, field, what: str) -> None:
        self.prepared_image = prepared_upload(field, what)


class PostForm(ImageUploadMixin, FlaskForm):
    """A post's words, its place on the blog and its cover."""

    title = StringField(
        "Title",
        filters=[strip],
        validators=[DataRequired("Give the post a title."), Length(max=200)],
    )
    slug = StringField("Web address", filters=[strip], validators=[Length(max=80)])
    excerpt = TextAreaField(
        "Introduction", filters=[strip], validators=[Length(max=1000)], render_kw={"rows": 3}
    )
    body = TextAreaField("Text", validators=[Length(max=POST_MAX_CHARS)], render_kw={"rows": 18})
    category_id = SelectField("Category", coerce=id_choice, default=0)
    tags = StringField("Tags", filters=[strip], validators=[Length(max=500)])
    series_id = SelectField("Series", coerce=id_choice, default=0)
    series_position = IntegerField(
        "Part number in the series",
        validators=[Optional(), NumberRange(min=1, max=1000, message="Use a number from 1.")],
    )
    cover_image = FileField("Cover image")
    cover_image_alt = StringField(
        "Describe the cover image", filters=[strip], validators=[Length(max=200)]
    )
    remove_cover = BooleanField("Remove the cover image")
    # Set for a reader's answer, which is listed under a day of its series, not a part of it.
    answer_day: int | None = None

    def validate_cover_image(self, field) -> None:
        self.prepare_upload(field, "cover image")

    def validate_series_id(self, field) -> None:
        # Checked here: the part number's Optional() stops its own checks when it is empty.
        if field.data and self.series_position.data is None and self.answer_day is None:
            raise ValidationError("Say which part of the series this post is, e.g. 7.")


class PublishForm(FlaskForm):
    """Publish at once, or on a day and time in the coach's own time zone."""

    when = RadioField(
        "When",
        choices=[SelectChoice("now", "Publish now"), SelectChoice("later", "Schedule for later")],
        default="now",
    )
    publish_date = DateField("Date", validators=[Optional()])
    publish_time = TimeField("Time", validators=[Optional()])

    def validate_when(self, field) -> None:
        # Checked here, not on the date field: its Optional() stops its own checks when empty.
        if field.data == "later" and self.publish_date.data is None:
            raise ValidationError("Choose the day the post should appear.")

    def scheduled_for(self, zone) -> datetime | None:
        """The chosen moment as an aware datetime, or None to publish now."""
        if self.when.data != "later" or self.publish_date.data is None:
            return None
        time_of_day = self.publish_time.data or datetime.min.time().replace(hour=8)
        return datetime.combine(self.publish_date.data, time_of_day, tzinfo=zone)


class ConfirmForm(FlaskForm):
    """A button that changes something (unpublish, delete); only CSRF to check."""


class CategoryForm(FlaskForm):
    """A category posts are filed under."""

    name = StringField(
        "Category name",
        filters=[strip],
        validators=[DataRequired("Name the category."), Length(max=80)],
    )
    description = TextAreaField(
        "Description", filters=[strip], validators=[Length(max=1000)], render_kw={"rows": 2}
    )


class SeriesForm(FlaskForm):
    """A series of posts read in order."""

    title = StringField(
        "Series title",
        filters=[strip],
        validators=[DataRequired("Name the series."), Length(max=120)],
    )
    description = TextAreaField(
        "Description", filters=[strip], validators=[Length(max=1000)], render_kw={"rows": 2}
    )
    planned_parts = IntegerField(
        "Number of parts planned",
        validators=[Optional(), NumberRange(min=1, max=1000, message="Use a number from 1.")],
    )


class ReplacementWordsForm(FlaskForm):
    """The neutral words the anonymiser puts in place of what identifies a family."""

    client_name_replacement = StringField(
        "Instead of the client's name",
        filters=[strip],
        validators=[DataRequired("Choose a word for the client's name."), Length(max=80)],
    )
    child_name_replacement = StringField(
        "Instead of a child's name",
        filters=[strip],
        validators=[DataRequired("Choose a word for a child's name."), Length(max=80)],
    )
    contact_replacement = StringField(
        "Instead of an e-mail address or phone number",
        filters=[strip],
        validators=[DataRequired("Choose what replaces contact details."), Length(max=80)],
    )
    other_term_replacement = StringField(
        "Instead of other identifying words",
        filters=[strip],
        validators=[DataRequired("Choose what replaces other words."), Length(max=80)],
    )


class FromLetterForm(ReplacementWordsForm):
    """Making a draft post from a consented letter."""

    identifying_words = TextAreaField(
        "Other words that could identify this family",
        filters=[strip],
        validators=[Length(max=2000)],
        render_kw={"rows": 3},
    )
    remember = BooleanField("Use these words next time too", default=True)


class ProfileForm(ImageUploadMixin, ReplacementWordsForm):
    """How the coach appears as an author, and how comments and letters are handled."""

    bio = TextAreaField(
        "About you", filters=[strip], validators=[Length(max=2000)], render_kw={"rows": 5}
    )
    photo = FileField("Photo")
    remove_photo = BooleanField("Remove the photo")
    social_links = TextAreaField(
        "Social links", filters=[strip], validators=[Length(max=2000)], render_kw={"rows": 3}
    )
    approve_known_commenters = BooleanField(
        "Publish comments at once from readers whose comments I approved before"
    )
    blocked_words = TextAreaField(
        "Blocked words", filters=[strip], validators=[Length(max=5000)], render_kw={"rows": 4}
    )

    def validate_photo(self, field) -> None:
        self.prepare_upload(field, "photo")

    def validate_social_links(self, field) -> None:
        check_social_links(field.data)
