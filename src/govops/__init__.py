"""govops: online, data-based directing and governing."""

__version__ = "0.1.0"
