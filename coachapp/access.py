"""Who may open which page: public pages, coaches' pages, clients' pages."""

from collections.abc import Callable
from functools import wraps

from flask import abort, current_app, request, url_for
from flask_login import current_user

from coachapp.extensions import login_manager


def public_view(view: Callable) -> Callable:
    """Mark a view as open to readers who are not signed in."""
    view.is_public = True
    return view


def require_login_unless_public():
    """Every page needs a signed-in user unless its view is marked public."""
    if request.endpoint is None or request.endpoint == "static":
        return None  # unknown URLs fall through to the 404 page
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "is_public", False) or current_user.is_authenticated:
        return None
    return login_manager.unauthorized()


def _role_required(role_check: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            # A 404, not a 403: the page does not exist for this person.
            if not getattr(current_user, role_check):
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    return decorator


coach_required = _role_required("is_coach")
coach_required.__doc__ = "Only coaches may open this view; anyone else gets a 404."
client_required = _role_required("is_client")
client_required.__doc__ = "Only clients may open this view; anyone else gets a 404."


def home_url_for(user) -> str:
    """Where a signed-in person starts: the dashboard for coaches, the portal for clients."""
    if user.is_coach:
        return url_for("dashboard.index")
    return url_for("portal.index")
