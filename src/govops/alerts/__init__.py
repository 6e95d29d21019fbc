"""Early warnings: rules, evidence, acknowledgement, notices and CAP messages."""
