"""What the outbox asks of the features that queue mail.

The outbox knows nothing of letters or any other feature: when a message is sent, the
feature that queued it adds its attachments by answering ``attachments_wanted``.
"""

from blinker import Namespace

outbox_signals = Namespace()

# Sent with the message being delivered as the sender; each receiver returns a list of
# coachapp.mail.Attachment (empty when the message is none of its business).
attachments_wanted = outbox_signals.signal("attachments-wanted")
