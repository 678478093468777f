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

Every method but ``__init__`` is one shared function, and :func:`finish` compiles the
``__init__`` of every class declared so far in a single ``exec``. Single inheritance
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


def record(cls: T) -> T:
    """Turn the class body ``cls`` (annotations, defaults, methods, properties) into a
    record class (see the module docstring). Returns a new class of the same name;
    its ``__init__`` exists once :func:`finish` has run."""
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
    new = type(cls)(cls.__name__, cls.__bases__, ns)
    new.__qualname__ = cls.__qualname__
    _PENDING.append(new)
    return new


def finish() -> None:
    """Compile the keyword-only ``__init__`` and the ``__repr__`` of every record
    declared since the last call, in one ``exec``. Call it at the end of the module
    that declares them."""
    lines: list[str] = []
    scope: dict[str, Any] = {"_set": _set}
    for i, cls in enumerate(_PENDING):
        params = []
        for name in cls.__record_fields__:
            if name in cls.__record_defaults__:
                scope[f"_d{i}_{name}"] = cls.__record_defaults__[name]
                params.append(f"{name}=_d{i}_{name}")
            else:
                params.append(name)
        lines.append(f"def _init{i}(self, *, {', '.join(params)}):")
        lines.extend(f"    _set(self, {name!r}, {name})" for name in cls.__record_fields__)
        if not cls.__record_fields__:
            lines.append("    pass")
        shown = ", ".join(f"{name}={{self.{name}!r}}" for name in cls.__record_fields__)
        lines.append(f"def _repr{i}(self):")
        lines.append(f"    return f{cls.__qualname__ + '(' + shown + ')'!r}")
    # The source is generated from the classes' own field names, nothing else.
    exec(compile("\n".join(lines), __name__, "exec"), scope)
    for i, cls in enumerate(_PENDING):
        init = scope[f"_init{i}"]
        init.__qualname__ = f"{cls.__qualname__}.__init__"
        type.__setattr__(cls, "__init__", init)
        if "__repr__" not in cls.__dict__:
            type.__setattr__(cls, "__repr__", scope[f"_repr{i}"])
    _PENDING.clear()
