"""A coach deletes a client: the confirmation page that counts what goes, then the deletion.

The routes are the clients blueprint's (/clients/<id>/delete, endpoint clients.delete).
"""

from flask import flash, redirect, render_template, url_for

from coachapp.access import coach_required
from coachapp.clients.blueprints import bp
from coachapp.clients.forms import ActionForm
from coachapp.clients.services import get_client_or_404, plural
from coachapp.data_rights.deletion import delete_client, deletion_summary
from coachapp.extensions import db


@bp.route("/<int:client_id>/delete", methods=["GET", "POST"])
@coach_required
def delete(client_id: int):
    """Ask, then delete a client and everything recorded about them."""
    client = get_client_or_404(client_id)
    form = ActionForm()
    if form.validate_on_submit():
        name = client.full_name
        fates = delete_client(client)
        db.session.commit()
        message = f"{name} and everything recorded about them have been deleted."
        if fates.taken_offline:
            offline = plural(len(fates.taken_offline), "post")
            message += f" {offline} made from their letters went offline."
        flash(message, "success")
        return redirect(url_for(".index"))
    return render_template(
        "clients/delete.html", client=client, summary=deletion_summary(client), form=form
    )
