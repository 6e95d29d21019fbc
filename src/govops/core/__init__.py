"""Settings, database, periods, errors and text handling shared by every domain."""
