"""The one error every backup step raises: a sentence for the person at the terminal."""

import click


class BackupError(click.ClickException):
    """A backup or restore that cannot go ahead, explained in one line instead of a traceback."""
