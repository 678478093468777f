"""Frozen, slotted, keyword-only record classes for the syntax tree, built cheaply.

``@dataclass(frozen=True, slots=True, kw_only=True)`` compiles eight methods per
class with ``exec`` and then builds each class a second time for its slots: for the
fifty-odd node classes of :mod:`kernlint.ldscript.ast` that was 37 ms of every
``kernlint check`` on a linker script (``bench/scripts.py``), a fifth of the whole
run. :func:`record` gives the node classes the same behaviour:

- a keyword-only ``__init__`` with the defaults written in the class body;
- fields in declaration order, the base class's first (``__record_fields__``);
- immutability: assigning or deleting an attribute raises
  ``dataclasses.FrozenInstanceError``;
- value equality (same class, equal fields) and a hash over the fields;
- ``repr`` as a dataclass writes it; ``copy``/``pickle`` support;
- ``__slots__``, so that a large script's tree stays small in memory.

Every method but ``__init__`` and ``__repr__`` is one shared function; those two are
compiled for each class on its first use (see :func:`finish`). Single inheritance
only (a record's base is ``object`` or another record), which is all the tree needs.
"""

from __future__ import annotations

import inspect
from dataclasses import FrozenInstanceError
from operator import attrgetter
from typing import Any, TypeVar

T = TypeVar("T", bound=type)

_set = object.__setattr__
#: Records whose ``__init__`` :func:`finish` has not compiled yet.
_PENDING: list[type] = []


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


# Each method below adds one Python frame per tree level and no more (attrgetter runs
# in C), as the generated dataclass methods did: the parser's depth limit
# (transform.MAX_EXPR_DEPTH) leaves room for exactly that. ``__repr__`` is generated
# with ``__init__`` for the same reason.


def _eq(self: Any, other: Any) -> bool:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return self.__record_values__(self) == other.__record_values__(other)


def _hash(self: Any) -> int:
    return hash(self.__record_values__(self))


def _getstate(self: Any) -> tuple:
    return self.__record_values__(self)


def _setstate(self: Any, state: tuple) -> None:
    for name, value in zip(self.__record_fields__, state, strict=True):
        _set(self, name, value)


def _values_of(fields: tuple[str, ...]) -> Any:
    """A C-level function giving the tuple of the fields' values of an instance."""
    if len(fields) == 1:
        (name,) = fields
        return lambda self: (getattr(self, name),)
    return attrgetter(*fields)


_SHARED = {
    "__setattr__": _frozen_setattr,
    "__delattr__": _frozen_delattr,
    "__eq__": _eq,
    "__hash__": _hash,
    "__getstate__": _getstate,
    "__setstate__": _setstate,
    "__match_args__": (),
}


def record(cls: T | None = None, /, *, positional: bool = False) -> Any:
    """Turn the class body ``cls`` (annotations, defaults, methods, properties) into a
    record class (see the module docstring). Returns a new class of the same name;
    its ``__init__`` exists once :func:`finish` has run. Its fields are keyword-only,
    unless ``positional`` (``@record(positional=True)``): then they are taken in
    order too, as a dataclass's are."""
    if cls is None:
        return lambda body: record(body, positional=positional)
    own = tuple(inspect.get_annotations(cls))
    (base,) = cls.__bases__
    base_fields: tuple[str, ...] = getattr(base, "__record_fields__", ())
    defaults = dict(getattr(base, "__record_defaults__", {}))
    ns = {k: v for k, v in cls.__dict__.items() if k not in ("__dict__", "__weakref__")}
    for name in own:
        if name in ns:
            defaults[name] = ns.pop(name)
    for name, function in _SHARED.items():
        ns.setdefault(name, function)
    ns["__slots__"] = own
    ns["__record_fields__"] = base_fields + own
    ns["__record_values__"] = staticmethod(_values_of(base_fields + own))
    ns["__record_defaults__"] = defaults
    ns["__record_positional__"] = positional
    new = type(cls)(cls.__name__, cls.__bases__, ns)
    new.__qualname__ = cls.__qualname__
    _PENDING.append(new)
    return new


def finish() -> None:
    """Give every record declared since the last call its keyword-only ``__init__``
    and its ``__repr__``. Call it at the end of the module that declares them.

    Each is compiled from generated source on the class's first use, not here: a run
    builds a score of the fifty-odd node classes, and compiling them all at import
    cost ~4 ms of every ``kernlint check`` on a script."""
    for cls in _PENDING:
        type.__setattr__(cls, "__init__", _first_init(cls))
        if "__repr__" not in cls.__dict__:
            type.__setattr__(cls, "__repr__", _first_repr(cls))
    _PENDING.clear()


def _first_init(cls: type) -> Any:
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if cls.__dict__["__init__"] is __init__:
            type.__setattr__(cls, "__init__", _compile(cls, "init"))
        cls.__init__(self, *args, **kwargs)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    return __init__


def _first_repr(cls: type) -> Any:
    def __repr__(self: Any) -> str:
        if cls.__dict__["__repr__"] is __repr__:
            type.__setattr__(cls, "__repr__", _compile(cls, "repr"))
        return cls.__repr__(self)

    __repr__.__qualname__ = f"{cls.__qualname__}.__repr__"
    return __repr__


def _compile(cls: type, which: str) -> Any:
    """The keyword-only ``__init__`` or the ``__repr__`` of the record ``cls``."""
    scope: dict[str, Any] = {"_set": _set}
    fields = cls.__record_fields__
    if which == "init":
        params = []
        for name in fields:
            if name in cls.__record_defaults__:
                scope[f"_d_{name}"] = cls.__record_defaults__[name]
                params.append(f"{name}=_d_{name}")
            else:
                params.append(name)
        star = "" if cls.__record_positional__ else "*, "
        lines = [f"def __init__(self, {star}{', '.join(params)}):"]
        lines.extend(f"    _set(self, {name!r}, {name})" for name in fields)
        if not fields:
            lines.append("    pass")
    else:
        shown = ", ".join(f"{name}={{self.{name}!r}}" for name in fields)
        lines = ["def __repr__(self):", f"    return f{cls.__qualname__ + '(' + shown + ')'!r}"]
    # The source is generated from the class's own field names, nothing else.
    exec(compile("\n".join(lines), __name__, "exec"), scope)
    function = scope[f"__{which}__"]
    function.__qualname__ = f"{cls.__qualname__}.__{which}__"
    return function
