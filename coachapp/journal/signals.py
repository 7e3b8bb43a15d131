"""What the journal announces, for the features built on it (publishing) to act on.

The journal knows nothing of the blog: publishing listens here to withdraw a writer's
public consent when they stop sharing an entry with their coach.
"""

from blinker import Namespace

journal_signals = Namespace()

# Sent with an entry whose writer is about to stop sharing it with the coach, in the same
# transaction; receivers flush and leave committing to the sender.
entry_unsharing = journal_signals.signal("entry-unsharing")

# Sent with an entry about to be deleted (by its writer, or as its writer is erased), in the
# same transaction: publishing takes anything made from it off the blog.
entry_deleting = journal_signals.signal("entry-deleting")
