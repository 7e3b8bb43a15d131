"""What the clients feature announces, for the features built on it to act on.

Clients know nothing of sessions or letters: a feature that shows one adult's records to
another listens here. Receivers run in the sender's transaction and must not commit.
"""

from blinker import Namespace

client_signals = Namespace()

# Sent with the family whose adults are about to be kept apart. Each receiver takes back
# what it was showing one adult of another's and returns a sentence saying so for the
# coach, or "" when there was nothing.
keep_apart_starting = client_signals.signal("keep-apart-starting")
