"""Backups: an encrypted copy of the database and the uploaded files, and restoring one."""
