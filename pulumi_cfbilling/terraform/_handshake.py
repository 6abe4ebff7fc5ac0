"""go-plugin's handshake config for Terraform providers: a launched plugin sees the cookie, a user running it does not.

Its own module: the warm path of a start (``_warm``) checks it without loading the server (``_serve``).
"""

__all__ = ["MAGIC_COOKIE_KEY", "MAGIC_COOKIE_VALUE"]

MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE"
MAGIC_COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
