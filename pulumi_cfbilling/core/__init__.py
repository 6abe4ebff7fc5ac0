"""Core: errors, untrusted text, secrets, the version, plain amounts, one parser per kind of value, settings."""
