"""Two-step sign-in: a code from an authenticator app (TOTP) after the password.

Codes work once each: the last accepted time step is stored, and only a later one is
accepted. The secret is stored encrypted (two_factor_keys.py). Recovery codes stand in for
a lost phone; only their SHA-256 hashes are kept.
"""

import hashlib
import re
import secrets
import string
from dataclasses import dataclass

import pyotp
from flask import session
from sqlalchemy import delete, func, or_, select, update

from coachapp.audit.models import AuditAction
from coachapp.audit.services import record_event
from coachapp.auth.models import Practice, RecoveryCode, Role, User, new_session_token
from coachapp.auth.services import client_id_of
from coachapp.auth.two_factor_keys import SecretUnreadable, decrypt_secret, encrypt_secret
from coachapp.extensions import db
from coachapp.timeutil import utcnow

ISSUER = "coachapp"
# Accept the code of the previous and the next 30-second step too: phone clocks drift.
VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
# No 0/o or 1/l/i: recovery codes are often copied by hand from paper.
RECOVERY_ALPHABET = "".join(
    ch for ch in string.ascii_lowercase + string.digits if ch not in "0o1li"
)
RECOVERY_CODE_GROUPS = 3
RECOVERY_CODE_GROUP_LENGTH = 4
PENDING_SIGN_IN = "pending_sign_in"
PENDING_SIGN_IN_SECONDS = 5 * 60
MUST_SET_UP = "must_set_up_two_factor"

_TOTP_CODE = re.compile(r"\d{6}")


class TwoFactorError(ValueError):
    """Two-step sign-in could not be set up or changed; the message says why."""


# Setting up, and turning off


def start_setup(user: User) -> str:
    """The secret for the authenticator app: a new one, or the one from an unfinished set-up
    (unless no configured key opens it any more: then a new one).

    Two-step sign-in stays off (``two_factor_enabled_at`` is None) until a code confirms
    that the app has the secret. Does not commit.
    """
    if user.has_two_factor:
        raise TwoFactorError("Two-step sign-in is already on.")
    if user.totp_secret_encrypted:
        try:
            return decrypt_secret(user.totp_secret_encrypted)
        except SecretUnreadable:
            pass  # nothing was confirmed with it: start again
    secret = pyotp.random_base32()
    user.totp_secret_encrypted = encrypt_secret(secret)
    user.totp_last_step = None
    return secret


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code_svg(uri: str) -> str:
    """The QR code as inline SVG markup (no data: URL, no style attribute, no script)."""
    import segno  # only the set-up page draws a QR code

    return segno.make(uri).svg_inline(scale=4, title="QR code for your authenticator app")


def spaced_secret(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def confirm_setup(user: User, code: str) -> list[str]:
    """Turn two-step sign-in on once ``code`` shows the app has the secret.

    Returns the new recovery codes, to be shown once. Raises TwoFactorError for a wrong
    code. Flushes; does not commit.
    """
    if user.has_two_factor:
        raise TwoFactorError("Two-step sign-in is already on.")
    if not user.totp_secret_encrypted or not accept_code(user, code):
        raise TwoFactorError(
            "That code does not match. Check that you scanned this page's QR code, "
            "then type the code your app shows now."
        )
    user.two_factor_enabled_at = utcnow()
    codes = replace_recovery_codes(user)
    record_event(AuditAction.TWO_FACTOR_ENABLED, actor=user, client_id=client_id_of(user))
    return codes


def disable(user: User) -> None:
    """Turn two-step sign-in off and forget the secret and recovery codes. Does not commit.

    Raises TwoFactorError while the person's practice requires it.
    """
    if is_required_for(user):
        raise TwoFactorError(
            "Your practice asks every coach to use two-step sign-in, so it cannot be "
            "turned off. Your practice owner can change this."
        )
    user.totp_secret_encrypted = None
    user.totp_last_step = None
    user.two_factor_enabled_at = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    record_event(AuditAction.TWO_FACTOR_DISABLED, actor=user, client_id=client_id_of(user))


# Codes


def accept_code(user: User, code: str) -> bool:
    """Whether ``code`` is a current code from the app that has not been used before.

    The step it belongs to is stored with a conditional update, so the same code sent
    twice at the same moment still works only once. Flushes. Raises SecretUnreadable when
    no configured key opens the stored secret.
    """
    code = re.sub(r"\s+", "", code or "")
    if not user.totp_secret_encrypted or not _TOTP_CODE.fullmatch(code):
        return False
    totp = pyotp.TOTP(decrypt_secret(user.totp_secret_encrypted))
    now_step = totp.timecode(utcnow())
    for step in range(now_step - VALID_WINDOW, now_step + VALID_WINDOW + 1):
        if not pyotp.utils.strings_equal(code, totp.generate_otp(step)):
            continue
        claimed = db.session.execute(
            update(User)
            .where(
                User.id == user.id,
                or_(User.totp_last_step.is_(None), User.totp_last_step < step),
            )
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed == 1:
            user.totp_last_step = step
            db.session.flush()
            return True
        return False  # already used, or an earlier code than one already used
    return False


def looks_like_app_code(code: str) -> bool:
    """Six digits (spaces allowed) are an app code; anything else may be a recovery code."""
    return bool(_TOTP_CODE.fullmatch(re.sub(r"\s+", "", code or "")))


def _new_recovery_code() -> str:
    groups = (
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_GROUP_LENGTH))
        for _ in range(RECOVERY_CODE_GROUPS)
    )
    return "-".join(groups)


def hash_recovery_code(code: str) -> str:
    """What is stored: the SHA-256 of the code without case, spaces or dashes."""
    normalised = re.sub(r"[\s-]+", "", code or "").lower()
    return hashlib.sha256(normalised.encode()).hexdigest()


def replace_recovery_codes(user: User) -> list[str]:
    """Ten new recovery codes; the old ones stop working. Flushes; does not commit."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=hash_recovery_code(c)) for c in codes
    )
    db.session.flush()
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Whether ``code`` is one of the user's unused recovery codes; it is used up. Flushes."""
    row_id = db.session.execute(
        select(RecoveryCode.id).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == hash_recovery_code(code),
            RecoveryCode.used_at.is_(None),
        )
    ).scalar()
    if row_id is None:
        return False
    used = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.id == row_id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if used != 1:  # used in another tab at this very moment
        return False
    record_event(
        AuditAction.RECOVERY_CODE_USED,
        actor=user,
        client_id=client_id_of(user),
        detail=f"{unused_recovery_codes(user)} recovery codes left",
    )
    return True


def unused_recovery_codes(user: User) -> int:
    """How many recovery codes the user has left."""
    return db.session.execute(
        select(func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ).scalar_one()


# The practice's requirement


def is_required_for(user: User) -> bool:
    """Whether the user's practice asks them to sign in with two steps (coaches only)."""
    return user.is_coach and user.practice.require_two_factor


def needs_setup(user: User) -> bool:
    """Whether the user must set up two-step sign-in before doing anything else."""
    return is_required_for(user) and not user.has_two_factor


def set_practice_requirement(practice: Practice, required: bool, owner: User) -> int:
    """Require (or stop requiring) two-step sign-in for every coach of the practice.

    Turning it on signs out the other coaches who have not set it up, so that their next
    sign-in takes them to the set-up page. Returns how many were signed out. Raises
    TwoFactorError if the owner has not set it up for themselves first. Does not commit.
    """
    if required and not owner.has_two_factor:
        raise TwoFactorError(
            "Turn on two-step sign-in for yourself first, then you can ask the same "
            "of everyone in your practice."
        )
    practice.require_two_factor = required
    if not required:
        return 0
    coaches = db.session.scalars(
        select(User).where(
            User.practice_id == practice.id,
            User.role == Role.COACH,
            User.id != owner.id,
            or_(User.two_factor_enabled_at.is_(None), User.totp_secret_encrypted.is_(None)),
        )
    ).all()
    for coach in coaches:
        coach.session_token = new_session_token()
    return len(coaches)


# The sign-in between the password and the code


@dataclass(frozen=True)
class PendingSignIn:
    """Someone whose password was right and who still has to type a code."""

    user: User
    next_path: str | None


def begin_pending_sign_in(user: User, next_path: str | None) -> None:
    """Remember, for five minutes, whose password was right; they are not signed in yet."""
    session[PENDING_SIGN_IN] = {
        "token": user.session_token,
        "at": int(utcnow().timestamp()),
        "next": next_path,
    }


class PendingSignInExpired(Exception):
    """The code was not typed within five minutes of the password."""


def pending_sign_in() -> PendingSignIn | None:
    """The sign-in waiting for a code, if any. Raises PendingSignInExpired when too old.

    A pending sign-in whose account has since been signed out everywhere (its session
    token rotated, e.g. by a password change) is gone.
    """
    pending = session.get(PENDING_SIGN_IN)
    if not isinstance(pending, dict) or not pending.get("token"):
        return None
    if int(utcnow().timestamp()) - int(pending.get("at", 0)) > PENDING_SIGN_IN_SECONDS:
        session.pop(PENDING_SIGN_IN, None)
        raise PendingSignInExpired()
    user = db.session.execute(
        select(User).where(User.session_token == pending["token"], User.active)
    ).scalar_one_or_none()
    if user is None or not user.has_two_factor:
        session.pop(PENDING_SIGN_IN, None)
        return None
    return PendingSignIn(user=user, next_path=pending.get("next"))
