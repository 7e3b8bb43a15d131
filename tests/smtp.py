"""A real SMTP server on 127.0.0.1 for the mail tests (aiosmtpd), collecting what arrives."""

import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Collector:
    def __init__(self, received: list):
        self.received = received

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class SmtpServer:
    """Starts and stops on one port; ``messages`` keeps everything it has received."""

    def __init__(self):
        self.port = free_port()
        self.received: list[tuple[list[str], EmailMessage]] = []
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        return [message for _, message in self.received]

    def start(self) -> None:
        self._controller = Controller(
            _Collector(self.received), hostname="127.0.0.1", port=self.port
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def settings(self) -> dict:
        """The app configuration that sends mail here."""
        return {
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": self.port,
            "MAIL_USE_STARTTLS": False,
            "MAIL_USE_SSL": False,
            "MAIL_TIMEOUT_SECONDS": 5,
            "MAIL_SENDER": "coachapp <noreply@coach.example>",
        }
