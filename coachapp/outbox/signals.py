"""What the outbox asks of the features that queue mail.

The outbox knows nothing of letters or any other feature: when a message is sent, the
feature that queued it adds its attachments by answering ``attachments_wanted``; before the
worker delivers, features that send mail at a time of day queue what is due by answering
``delivery_round_starting``.
"""

from blinker import Namespace

outbox_signals = Namespace()

# Sent with the message being delivered as the sender; each receiver returns a list of
# coachapp.mail.Attachment (empty when the message is none of its business).
attachments_wanted = outbox_signals.signal("attachments-wanted")

# Sent by the worker (`flask outbox send`) before each round of deliveries, with the current
# app as the sender: receivers queue the messages that have come due (reminders).
delivery_round_starting = outbox_signals.signal("delivery-round-starting")
