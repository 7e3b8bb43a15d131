"""Coaching sessions: what happened, what was agreed, what comes next."""
