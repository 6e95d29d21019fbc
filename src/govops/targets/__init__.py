"""Plan targets and whether they will be met."""
