"""The audit log's pages for coaches."""
