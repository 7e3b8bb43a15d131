"""What a practice owes the people in it: a family's whole record, or one adult's share of
it, exported (access) or deleted (erasure), and an adult leaving their family.

They reach into every feature (sessions, letters, consents, posts, the portal, the
outbox), so they sit in the top layer; their pages answer on the clients blueprint,
next to the client they concern.
"""

from coachapp.data_rights import deletion_views, export_views, leaving_views  # noqa: F401
