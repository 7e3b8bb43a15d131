"""What a practice owes the people in it: a client's whole record exported (access) or
deleted (erasure).

Both reach into every feature (sessions, letters, consents, posts, the portal, the
outbox), so they sit in the top layer; their pages answer on the clients blueprint,
next to the client they concern.
"""

from coachapp.data_rights import deletion_views, export_views  # noqa: F401  (routes)
