"""Handlers of the ``cfbilling`` commands, one module each: each takes the parsed arguments, returns an exit code.

The command line imports only the module of the command it runs, so no command pays for another's imports.
"""
