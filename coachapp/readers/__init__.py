"""Readers who follow the blog, or one series, by e-mail: double opt-in, one-click leaving."""

from coachapp.readers import sending, views  # noqa: F401  (routes; listens for the worker's rounds)
from coachapp.readers.blueprints import bp  # noqa: F401  (registered by create_app)
