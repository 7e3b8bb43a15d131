"""Clients: the parents a coach works with, and their children."""
