"""Sending e-mail over SMTP, or into instance/mail/ when no mail server is configured.

Knows nothing of letters or accounts: features build a message and hand it over.
"""

import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app

from coachapp.timeutil import utcnow

MAIL_FOLDER_NAME = "mail"


class MailError(ValueError):
    """A message that must not be sent as asked; the message says why."""


@dataclass(frozen=True)
class Attachment:
    """A file travelling with a message."""

    filename: str
    content: bytes
    mimetype: str = "application/pdf"
    # Content-Type parameters, such as a calendar invitation's method=REQUEST.
    params: dict[str, str] | None = None


def check_header(name: str, value: str) -> str:
    """Refuse a header value with a line break in it (header injection)."""
    if "\r" in value or "\n" in value:
        raise MailError(f"The {name} may not contain a line break.")
    return value


def build_message(
    to: str,
    subject: str,
    text: str,
    html: str,
    attachments: Iterable[Attachment] = (),
    *,
    reply_to: str = "",
    unsubscribe_url: str = "",
) -> EmailMessage:
    """A multipart/alternative (plain text + HTML) message, with any attachments.

    With ``unsubscribe_url``, mail programs offer their own one-click unsubscribe button
    (RFC 2369 and RFC 8058): a POST to that address ends the subscription.
    """
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = check_header("recipient", to)
    message["Subject"] = check_header("subject", subject)
    if reply_to:
        message["Reply-To"] = check_header("reply-to address", reply_to)
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{check_header('unsubscribe address', unsubscribe_url)}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=_sender_domain())
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    for attachment in attachments:
        maintype, subtype = attachment.mimetype.split("/", 1)
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype,
            filename=attachment.filename, params=attachment.params or {},
        )
    return message


def _sender_domain() -> str:
    sender = current_app.config["MAIL_SENDER"]
    return sender.rsplit("@", 1)[-1].strip("> ") or "localhost"


def mail_server_configured() -> bool:
    """Whether messages go to an SMTP server (else they are saved under instance/mail/)."""
    return bool(current_app.config.get("MAIL_SERVER"))


def mail_folder() -> Path:
    """Where messages are saved when no mail server is configured."""
    return Path(current_app.instance_path) / MAIL_FOLDER_NAME


def send_message(message: EmailMessage) -> Path | None:
    """Send over SMTP; without a mail server, save as .eml and return the file's path.

    SMTP and network failures raise (smtplib.SMTPException or OSError) for the caller
    to retry.
    """
    if not mail_server_configured():
        return save_message(message)
    config = current_app.config
    timeout = config["MAIL_TIMEOUT_SECONDS"]
    if config["MAIL_USE_SSL"]:
        context = ssl.create_default_context()
        smtp = smtplib.SMTP_SSL(
            config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout, context=context
        )
    else:
        smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout)
    with smtp:
        if config["MAIL_USE_STARTTLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)
    return None


def save_message(message: EmailMessage) -> Path:
    """Write the message as a .eml file under instance/mail/ (readable by this user only)."""
    folder = mail_folder()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%d-%H%M%S-%f")
    msgid = (message["Message-ID"] or "").strip("<>").split("@")[0][-12:]
    path = folder / f"{stamp}-{msgid or 'message'}.eml"
    path.write_bytes(bytes(message))
    path.chmod(0o600)
    return path


def where_mail_goes() -> str:
    """A sentence for the UI when messages stay on this computer, else nothing."""
    if mail_server_configured():
        return ""
    return "It is saved to instance/mail/ because no mail server is configured."
