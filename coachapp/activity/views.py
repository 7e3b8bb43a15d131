"""The audit log's pages for coaches: the activity log and its CSV export."""

from flask import Response, render_template, request
from flask_login import current_user

from coachapp.access import coach_required
from coachapp.activity.blueprints import bp
from coachapp.activity.forms import AuditFilterForm
from coachapp.activity.reading import (
    client_labels,
    events_csv,
    events_page,
    filter_clients,
    filter_people,
    short_device,
)
from coachapp.audit.models import AuditAction
from coachapp.audit.services import record_event
from coachapp.extensions import db
from coachapp.ids import page_number
from coachapp.templating import local_today, user_zone


def _filter_form() -> AuditFilterForm:
    return AuditFilterForm.for_reader(
        request.args, filter_clients(current_user), filter_people(current_user)
    )


@bp.route("/")
@coach_required
def index():
    """Who did what, newest first, a page at a time; filters that go into the CSV too."""
    form = _filter_form()
    if not form.validate():
        return _log_page(form, pagination=None, labels={}), 400
    pagination = events_page(
        current_user, form.filters(user_zone(current_user)), page_number(request.args)
    )
    return _log_page(form, pagination, client_labels(current_user, pagination.items))


def _log_page(form: AuditFilterForm, pagination, labels: dict[int, str]) -> str:
    return render_template(
        "activity/index.html",
        form=form,
        pagination=pagination,
        client_labels=labels,
        short_device=short_device,
    )


@bp.route("/export.csv")
@coach_required
def export():
    """The filtered log as a CSV file for a spreadsheet; the export itself is recorded."""
    form = _filter_form()
    if not form.validate():
        return _log_page(form, pagination=None, labels={}), 400
    filters = form.filters(user_zone(current_user))
    # The byte-order mark tells spreadsheet programs the file is UTF-8.
    document = "\ufeff" + events_csv(current_user, filters, user_zone(current_user))
    record_event(AuditAction.AUDIT_EXPORTED, detail=filters.describe())
    filename = f"activity-log-{local_today(current_user).isoformat()}.csv"
    db.session.commit()
    return Response(
        document,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
