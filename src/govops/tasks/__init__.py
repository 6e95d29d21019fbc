"""Directives and the tasks they assign, monitored by their deadlines."""

# Scorecard tallies follow every change to a deliverable through a flush listener, which
# must be registered wherever tasks are written.
from govops.tasks import tallies as tallies
