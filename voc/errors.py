"""Errors a user can act on.

Every problem caused by the input or the command line is raised as a `VocError` whose
message is one sentence that says what to fix. The CLI prints it on one line and exits
with `EXIT_USAGE`; anything else is a bug and exits with `EXIT_INTERNAL`.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_ALERTS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
# 128 + SIGTERM, what shells and schedulers report for a process stopped by SIGTERM.
EXIT_TERMINATED = 143


class VocError(Exception):
    """A problem with the input, the options or the environment that the user can fix."""

    exit_code = EXIT_USAGE


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
