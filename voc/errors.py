"""Errors a user can act on.

Every problem caused by the input or the command line is raised as a `VocError` whose
message is one sentence that says what to fix. The CLI prints it on one line and exits
with `EXIT_USAGE`; anything else is a bug and exits with `EXIT_INTERNAL`.
"""

from __future__ import annotations

import errno
import re

EXIT_OK = 0
EXIT_ALERTS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
# 128 + SIGTERM, what shells and schedulers report for a process stopped by SIGTERM.
EXIT_TERMINATED = 143


# Line breaks a message can pick up from the input (a header cell "How likely\n(0-10)", a
# file name): shown escaped, so the message stays one line and the name stays exact.
_LINE_BREAKS = re.compile("\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


class VocError(Exception):
    """A problem with the input, the options or the environment that the user can fix."""

    exit_code = EXIT_USAGE

    def __init__(self, message: object = "", *args: object) -> None:
        super().__init__(_LINE_BREAKS.sub(lambda m: repr(m.group())[1:-1], str(message)),
                         *args)


class InputError(VocError):
    """An input file is missing, unreadable or has no usable text."""


class ConfigError(VocError):
    """A pipeline config, journey map or option value is invalid."""


class OutputError(VocError):
    """The output directory or a file in it cannot be written."""


class Terminated(BaseException):
    """The process was asked to stop (SIGTERM, e.g. by a scheduler's timeout).

    Raised wherever the program is, like KeyboardInterrupt and for the same reason not an
    Exception (a stage's per-row `except Exception` must not swallow it): `with` blocks
    unwind, so the store marks the run interrupted and releases its lock.
    """


# What the machine, not voc, is short of: the user fixes these (free space, permissions, a
# shorter path), so they are one-line errors with exit 2 wherever they surface.
_ENVIRONMENT_ERRNOS = {
    errno.ENOSPC: "no space left on the device; free some space and run again",
    errno.EDQUOT: "the disk quota is exceeded; free some space and run again",
    errno.EROFS: "the file system is read-only; choose a writable location",
    errno.EACCES: "permission denied; choose a location this user may write",
    errno.EPERM: "operation not permitted; choose a location this user may write",
    errno.ENAMETOOLONG: "a file name or path is too long; choose a shorter one",
}


def environment_problem(exc: BaseException) -> str | None:
    """One line for an OSError the user fixes in their environment, else None (a bug)."""
    seen: BaseException | None = exc
    while seen is not None:  # the cause may sit under a cleanup error that replaced it
        if isinstance(seen, OSError) and seen.errno in _ENVIRONMENT_ERRNOS:
            where = f" ({seen.filename})" if seen.filename else ""
            return f"{_ENVIRONMENT_ERRNOS[seen.errno]}{where}"
        seen = seen.__cause__ or seen.__context__
    return None
