"""Version of pulumi-cfbilling, read by packaging and by the User-Agent header."""

__version__ = "0.1.0"
