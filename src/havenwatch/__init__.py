"""havenwatch: an open, self-hostable port security platform."""

__version__ = "0.1.0"
