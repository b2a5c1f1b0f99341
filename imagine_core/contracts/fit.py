"""Whether a built component is what its callers use: its contract's members, by name.

A contract is an abstract class, but a plugin may return any object (duck typing) and an
abstract member may be filled in by an attribute, so fit is judged member by member: the
contract's abstract methods and properties, and the attributes it declares without a
default (``min_level: int``).
"""

from __future__ import annotations

import inspect
import re
from typing import Any


def required_members(contract: type) -> list[str]:
    """What a part must have to fulfil ``contract``."""
    names = set(getattr(contract, "__abstractmethods__", ()))
    for klass in contract.__mro__:
        names.update(n for n in vars(klass).get("__annotations__", {}) if not hasattr(klass, n))
    return sorted(names)


def missing_members(part: Any, contract: type) -> list[str]:
    """The members of ``contract`` that ``part`` lacks, as the contract writes them
    (``build(min_level, max_level)``)."""
    return [
        _signature(contract, n)
        for n in required_members(contract)
        if not hasattr(part, n) or not _callable_as(part, contract, n)
    ]


def _callable_as(part: Any, contract: type, name: str) -> bool:
    """Whether ``part.name`` takes the arguments the contract's method is called with
    (a two-stage predictor's ``build`` is no ``build`` of a one-stage detector's)."""
    member = inspect.getattr_static(contract, name, None)
    if not inspect.isfunction(member):
        return True
    params = list(inspect.signature(member).parameters.values())[1:]
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return True
    args = [i for i, p in enumerate(params) if p.kind is not p.KEYWORD_ONLY]
    kwargs = {p.name: 0 for p in params if p.kind is p.KEYWORD_ONLY}
    try:
        inspect.signature(getattr(part, name)).bind(*args, **kwargs)
    except TypeError:
        return False
    except ValueError:  # no signature to read (a builtin): take it on trust
        return True
    return True


def abstract_gap(error: TypeError) -> str:
    """``"it has no build"`` where ``error`` is Python refusing to create a class that
    leaves abstract methods of its contract unimplemented; else ``""``."""
    found = re.match(r"Can't instantiate abstract class .*abstract methods? (.+)$", str(error))
    return "it has no " + found.group(1).replace("'", "") if found else ""


def _signature(contract: type, name: str) -> str:
    member = inspect.getattr_static(contract, name, None)
    if not callable(member) or isinstance(member, property):
        return name
    params = list(inspect.signature(member).parameters)[1:]
    return f"{name}({', '.join(params)})"
