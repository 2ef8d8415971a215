"""Frozen dataclasses back from JSON, by their type hints: what `City.load` reads with.

`decode(cls, document)` rebuilds a dataclass, nested ones and tuples included, from the
objects and lists that JSON gives, so the class's own validation runs on every value. Fields
missing from the document take their defaults (files written before a field existed); a field
the class does not have is an error. How to read each field is worked out once per class.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import time
from typing import Any, TypeVar, get_type_hints

T = TypeVar("T")
Reader = Callable[[Any], Any]
_KNOWN: dict[type[Any], dict[str, Reader]] = {}
"""The field readers of each class decoded so far."""


def decode(cls: type[T], data: Any) -> T:
    """The dataclass `cls` from a JSON object; TypeError or ValueError when it is not one."""
    if not isinstance(data, dict):
        raise TypeError(f"expected an object for {cls.__name__}, got {type(data).__name__}")
    readers = _readers(cls)
    if not data.keys() <= readers.keys():
        unknown = sorted(set(data) - set(readers))
        raise TypeError(f"unknown fields for {cls.__name__}: {', '.join(unknown)}")
    return cls(**{name: readers[name](value) for name, value in data.items()})


def _readers(cls: type[Any]) -> dict[str, Reader]:
    readers = _KNOWN.get(cls)
    if readers is None:
        readers = {name: _reader(hint) for name, hint in get_type_hints(cls).items()}
        _KNOWN[cls] = readers
    return readers


def _reader(hint: Any) -> Reader:
    if hint is time:
        return time.fromisoformat
    if dataclasses.is_dataclass(hint):
        return lambda value: decode(hint, value)  # type: ignore[arg-type]
    if getattr(hint, "__origin__", None) is tuple:
        args = hint.__args__
        if args[-1] is Ellipsis:
            item = _reader(args[0])
            return lambda value: tuple(item(v) for v in _list(value))
        return _fixed_tuple([_reader(a) for a in args])
    if hint is float:
        return _float
    return _same


def _fixed_tuple(items: list[Reader]) -> Reader:
    def read(value: Any) -> tuple[Any, ...]:
        if len(_list(value)) != len(items):
            raise TypeError(f"expected {len(items)} items, got {len(value)}")
        return tuple(item(v) for item, v in zip(items, value, strict=True))

    return read


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def _float(value: Any) -> Any:
    """JSON writes 100.0 as 100 in some writers: an integer stands for a float field."""
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _same(value: Any) -> Any:
    return value
