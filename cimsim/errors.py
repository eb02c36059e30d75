"""The one exception type that reaches the user as a message, not a traceback.

Every module raises :class:`CimsimError` (or a subclass) for bad input: a file that does
not parse, a key that is unknown, a value out of range, a layer that does not fit.
The command line catches it, prints the message (one paragraph naming the file, the key
or layer, what was expected and what was found) and exits with status 2.
"""

from __future__ import annotations


class CimsimError(Exception):
    """Bad input or an impossible request, explained for a user."""

    exit_code = 2


class SpecError(CimsimError):
    """An architecture, study or sweep file that does not validate."""


class TraceError(CimsimError):
    """A trace file that is truncated, corrupted or does not match its manifest."""
