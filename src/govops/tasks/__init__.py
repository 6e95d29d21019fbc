"""Directives and the tasks they assign, monitored by their deadlines."""
