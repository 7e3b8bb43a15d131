"""What accounts announce, for the features built on them to act on.

Accounts know nothing of the features above them: a feature that keeps something per
coach (coaching's topic list, say) connects to ``coach_created`` instead of being called.
Receivers run in the same transaction as the sender and must not commit.
"""

from blinker import Namespace

account_signals = Namespace()

# Sent with the new coach (flushed, so it has an id) as the sender.
coach_created = account_signals.signal("coach-created")
# Sent with the user once a new signed-in session has begun.
signed_in = account_signals.signal("signed-in")
# Sent with a portal user as the sender: the clients feature answers with the id of the
# client record behind that sign-in, so account events (sign-ins, password changes) are
# filed under the client in the activity log and shown to them.
client_record_wanted = account_signals.signal("client-record-wanted")
