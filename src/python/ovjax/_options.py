"""ovjax's options on the Python side, and the one place its Python code reads the
environment.

One ``options=`` dict serves both sides of a conversion: ``ovjax.convert_model`` takes
out the options of the serializer (below: they act while the jaxpr is written) and hands
the rest to the C++ frontend's ``FrontEnd::load`` (``src/cpp/frontend/options.cpp``
checks those, reads their environment variables and lists every option when a name is
unknown). An option not given falls back to its environment variable, then to its
default. The README has the table of all of them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def env(name: str) -> str | None:
    """The value of environment variable ``name``; unset and empty are both None."""
    value = os.environ.get(name)
    return value if value else None


def as_flag(where: str, value) -> bool:
    """A boolean option value: a bool, 0 or 1, or one of the strings true/false, 1/0,
    yes/no, on/off (any case). ``where`` names the setting in the error."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
    raise ValueError(f"ovjax: {where} takes a boolean (true/false, 1/0, yes/no, on/off), got {value!r}")


def env_flag(name: str, default: bool) -> bool:
    """An environment-only boolean setting (the import-time and ov.convert_model hook
    settings): ``default`` when unset or empty."""
    value = env(name)
    return default if value is None else as_flag(f"environment variable {name}", value)


@dataclass(frozen=True)
class SerializeOptions:
    """Options of the serializer (``serialize.GraphWriter``)."""

    # Compute the carry-independent work a scan body does on its xs for all steps at once
    # before the loop (_hoist.py).
    scan_hoist: bool = True


# option name -> environment variable
SERIALIZER_OPTIONS = {"scan_hoist": "OVJAX_SCAN_HOIST"}


def split(options, *, to_frontend: bool) -> tuple[SerializeOptions, dict]:
    """(the serializer's options, the frontend's) from an ``options=`` dict (or None).

    The serializer's options not given come from the environment. With ``to_frontend``
    every other key goes to the frontend, which checks it; without (``serialize``,
    ``save``) any other key is an error.
    """
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise TypeError(f"ovjax: options must be a dict of option names to values, got {type(options).__name__}")
    values = {}
    for key, variable in SERIALIZER_OPTIONS.items():
        if key in options:
            values[key] = as_flag(f"option {key!r}", options[key])
        elif (e := env(variable)) is not None:
            values[key] = as_flag(f"environment variable {variable} (option {key!r})", e)
    rest = {k: v for k, v in options.items() if k not in SERIALIZER_OPTIONS}
    if rest and not to_frontend:
        names = ", ".join(repr(k) for k in rest)
        raise ValueError(
            f"ovjax: serializing takes only the serializer's options ({', '.join(SERIALIZER_OPTIONS)}); "
            f"{names} {'is' if len(rest) == 1 else 'are'} not among them: conversion options go to "
            "ovjax.convert_model(..., options=) or FrontEnd.load"
        )
    return SerializeOptions(**values), rest
