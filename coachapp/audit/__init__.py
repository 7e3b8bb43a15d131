"""The audit log, written: who signed in, read, downloaded, sent, published, exported or
deleted what. Features record plain values (ids, names of actions); coachapp.activity reads
the log back for people.
"""

from coachapp.audit import models  # noqa: F401  (the table joins the metadata)
