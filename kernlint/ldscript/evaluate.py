"""Constant evaluation of GNU ld script expressions, and what follows from it for layout.

Pure functions over the syntax tree (:mod:`kernlint.ldscript.ast`); nothing here reads
files or raises. A value kernlint cannot know without the input objects (a section's
size, a symbol the objects define, ``SIZEOF_HEADERS``) is *unknown*, ``None``, and
everything computed from it is unknown too: rules built on this stay silent rather
than guess.

Semantics followed: GNU ld 2.40 (``ld/ldexp.c``), as the ld manual describes them:

- §3.10.1 Constants, §3.10.6 Operators: C precedence; values are 64-bit ``bfd_vma``
  and wrap around; ``/`` and ``%`` are *signed* (C truncation), comparisons and
  ``>>`` unsigned; a shift count is taken modulo 64 (x86's rule; C leaves it
  undefined). Division by zero is fatal in ld (``/ by zero``): unknown here.
- §3.10.5 The Location Counter ("Location Counter" node): outside output sections
  ``.`` is an absolute address; inside an output section description it is "the
  byte offset from the start of that section", so ``. = 0x10`` inside ``.data``
  means ``ADDR(.data) + 0x10``.
- §3.10.8 The Section of an Expression: every value is a plain *number*, an
  *absolute* address, or an address *relative* to an output section. Outside
  output sections numbers are absolute addresses (``ldexp.c`` ``etree_value``:
  ``new_abs``), so there ``sym == 0x1f1`` or ``sym & 0xfff`` read the address of a
  section-relative ``sym``, not its offset (checked with ld 2.40; not with
  ``LD_FEATURE("SANE_EXPR")``, ``Env.sane_expr``). Inside an output section,
  absolute symbols read as numbers; ``.``, ``ALIGN(x)`` and ``ORIGIN(r)`` are
  relative to the current section; ``ABSOLUTE(x)`` is absolute. Binary operators
  apply to the offsets of two values relative to the same section, or of one
  relative value and a number (the result stays relative); values of different
  sections are first made absolute; two absolute addresses, or two values of the
  same section, combine into a number inside an output section and into an absolute
  address outside. Comparisons, ``&&`` and ``||`` give numbers. ``ALIGN(x, a)``,
  ``MAX`` and ``MIN`` keep the section of their operands, so ``ALIGN(., 16)`` inside
  a section aligns the *offset* while ``ALIGN(16)`` aligns the address (both checked
  with ld 2.40). An assignment to ``.`` inside a section moves it to
  ``value + ADDR(section)`` for a number or a value relative to the section, and to
  the address itself for an absolute one (``ldexp.c``, ``etree_assign``).
- §3.10.9 Builtin Functions: ``ALIGN``/``BLOCK``, ``ABSOLUTE``, ``MAX``, ``MIN``,
  ``LOG2CEIL``, ``DEFINED`` (true for a symbol the script assigned before), ``ADDR`` of
  a section whose start is known, ``ORIGIN``/``LENGTH`` of a ``MEMORY`` region with
  constant values (§3.7), ``CONSTANT(MAXPAGESIZE)``/``CONSTANT(COMMONPAGESIZE)``:
  ``page_size``, default 0x1000 — GNU ld 2.40's values for x86-64, checked with
  ``ASSERT(CONSTANT(MAXPAGESIZE) == 0x1000, ...)``; rules pass ``config.page_size``.
  ``NEXT(x)`` is the absolute ``.`` aligned to ``x``. ``DATA_SEGMENT_END(x)`` is
  ``x``; with a layout's ``Env.dataseg`` the three ``DATA_SEGMENT_*`` follow its
  sizing passes. Unknown: ``SIZEOF``, ``SIZEOF_HEADERS``,
  ``LOADADDR``, ``ALIGNOF``, ``SEGMENT_START`` (the command line may
  override its default), ``DATA_SEGMENT_ALIGN``, ``DATA_SEGMENT_RELRO_END``,
  ``ASSERT``, ``DEFINED`` of a symbol the script has not assigned (the objects may
  define it), and any such symbol's value.

``tests/ldscript/test_evaluate.py`` checks these rules against GNU ld itself: each
expression of its list, assigned to a symbol outside and inside an output section,
gets the value ``nm`` shows after a real link.

Beyond single expressions, :func:`trace` follows the location counter through
``SECTIONS`` (what is known about ``.`` and each output section's start, as lower
bounds) and :func:`section_permissions` classifies an output section as code,
read-only or writable data from its input section patterns — the facts the KL2 layout
rules (KL204, KL205, KL206, KL211) share.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import ast
from .record import finish, record

if TYPE_CHECKING:
    from .include import LoadedScript

MASK = (1 << 64) - 1
SIGN = 1 << 63

#: The section of a plain number (ld: ``section == NULL``).
NUMBER = None
#: The section of an absolute address (ld: ``bfd_abs_section_ptr``).
ABS = "*ABS*"

#: Default for ``CONSTANT(MAXPAGESIZE)`` and ``CONSTANT(COMMONPAGESIZE)``: GNU ld 2.40,
#: x86-64 (``-z max-page-size``/``-z common-page-size`` change them).
DEFAULT_PAGE_SIZE = 0x1000

PF_X = 1
PF_W = 2
PF_R = 4
PT_LOAD = 1


@record(positional=True)
class Value:
    """An expression's value as ld keeps it (``etree_value_type``): ``section`` is
    :data:`NUMBER` (``None``) for a plain number, :data:`ABS` for an absolute address,
    or the name of the output section the value is relative to, ``value`` then being
    the offset from that section's start. ``value`` is in ``[0, 2**64)``."""

    value: int
    section: str | None = NUMBER

    @property
    def is_number(self) -> bool:
        return self.section is NUMBER


@record(positional=True)
class Region:
    """A ``MEMORY`` region's ``ORIGIN`` and ``LENGTH`` when constant."""

    origin: int | None
    length: int | None


class DataSegmentHook:
    """What a layout plugs into :class:`Env` to evaluate ``DATA_SEGMENT_ALIGN``,
    ``DATA_SEGMENT_RELRO_END`` and ``DATA_SEGMENT_END`` (their values depend on the
    sizing pass, ``ldexp.c`` ``expld.dataseg``); each returns the address, or None
    where ld finds the expression invalid."""

    def align(self, maxpage: int, commonpage: int, dot: int) -> int | None:
        raise NotImplementedError

    def relro_end(self, offset: int, exp: int) -> int | None:
        raise NotImplementedError

    def end(self, exp: int) -> int | None:
        raise NotImplementedError


@dataclass(frozen=True)
class Env:
    """What an expression is evaluated against.

    ``section`` is the output section the expression stands in (``None`` outside
    output sections); ``dot`` the location counter (an absolute address outside
    output sections, the offset from the section's start inside), ``None`` when
    unknown; ``starts`` the known start addresses of output sections (the current
    one included, when known); ``symbols`` the values the script assigned so far
    (``None``: assigned, value unknown); ``regions`` the ``MEMORY`` regions.

    A layout (:mod:`kernlint.layout`) knows more and fills the rest: ``sizes``,
    ``loads`` and ``alignments`` of output sections (``SIZEOF``, ``LOADADDR``,
    ``ALIGNOF``), ``headers_size`` (``SIZEOF_HEADERS``), and ``complete``: the symbol
    table is the whole link's, so ``DEFINED`` of a name not in it is 0, ``ADDR`` of
    the current section is its start, and ``SEGMENT_START`` is its default.
    ``sane_expr``: the script says ``LD_FEATURE("SANE_EXPR")``, so numbers and absolute
    symbols are numbers outside output sections too (ld manual "Expression Section")."""

    section: str | None = None
    dot: int | None = None
    starts: Mapping[str, int] = field(default_factory=dict)
    symbols: Mapping[str, Value | None] = field(default_factory=dict)
    regions: Mapping[str, Region] = field(default_factory=dict)
    page_size: int = DEFAULT_PAGE_SIZE
    sizes: Mapping[str, int] = field(default_factory=dict)
    loads: Mapping[str, int] = field(default_factory=dict)
    alignments: Mapping[str, int] = field(default_factory=dict)
    headers_size: int | None = None
    complete: bool = False
    dataseg: DataSegmentHook | None = None
    sane_expr: bool = False


# ----------------------------------------------------------------------------- helpers


def align_n(value: int, align: int) -> int:
    """ld's ``align_n``: round ``value`` up to a multiple of ``align`` (any ``align``;
    0 and 1 leave it alone), with 64-bit wrap-around."""
    if align <= 1:
        return value & MASK
    return (((value + align - 1) // align) * align) & MASK


def signed(value: int) -> int:
    """``value`` read as a signed 64-bit number (``bfd_signed_vma``)."""
    value &= MASK
    return value - (1 << 64) if value & SIGN else value


def _log2ceil(value: int) -> int:
    result = 0
    while result < 64 and (1 << result) < value:
        result += 1
    return result


def references_dot(expr: ast.Node) -> bool:
    """True when ``.`` appears in ``expr`` (``ALIGN(x)`` reads it too)."""
    for node in ast.walk(expr):
        if isinstance(node, ast.Dot):
            return True
        if isinstance(node, ast.Call) and node.function in _READS_DOT and len(node.args) == 1:
            return True
        if isinstance(node, ast.Call) and node.function.startswith("DATA_SEGMENT_"):
            return True
    return False


_READS_DOT = {"ALIGN", "BLOCK", "NEXT"}


def symbols_in(expr: ast.Node) -> Iterator[str]:
    """Names of the symbols ``expr`` reads, in order."""
    for node in ast.walk(expr):
        if isinstance(node, ast.Symbol):
            yield node.name


_PRECEDENCE = {
    "||": 1,
    "&&": 2,
    "|": 3,
    "&": 4,
    "==": 5,
    "!=": 5,
    "<": 6,
    ">": 6,
    "<=": 6,
    ">=": 6,
    "<<": 7,
    ">>": 7,
    "+": 8,
    "-": 8,
    "*": 9,
    "/": 9,
    "%": 9,
}


def render(expr: ast.Node) -> str:
    """``expr`` as script text, numbers as written (``Number.text``), with only the
    parentheses C precedence needs."""
    if isinstance(expr, ast.Number):
        return expr.text
    if isinstance(expr, ast.Symbol):
        return f'"{expr.name}"' if expr.quoted else expr.name
    if isinstance(expr, ast.Name):
        return f'"{expr.value}"' if expr.quoted else expr.value
    if isinstance(expr, ast.Dot):
        return "."
    if isinstance(expr, ast.Unary):
        inner = render(expr.operand)
        if isinstance(expr.operand, ast.Binary | ast.Ternary):
            inner = f"({inner})"
        return f"{expr.op}{inner}"
    if isinstance(expr, ast.Binary):
        level = _PRECEDENCE.get(expr.op, 0)
        left, right = render(expr.left), render(expr.right)
        if _level(expr.left) < level:
            left = f"({left})"
        if _level(expr.right) <= level:
            right = f"({right})"
        return f"{left} {expr.op} {right}"
    if isinstance(expr, ast.Ternary):
        cond = render(expr.condition)
        if isinstance(expr.condition, ast.Ternary):
            cond = f"({cond})"
        return f"{cond} ? {render(expr.if_true)} : {render(expr.if_false)}"
    if isinstance(expr, ast.Call):
        if expr.function == "SIZEOF_HEADERS":
            return expr.function
        return f"{expr.function}({', '.join(render(a) for a in expr.args)})"
    return "?"


def _level(expr: ast.Node) -> int:
    if isinstance(expr, ast.Binary):
        return _PRECEDENCE.get(expr.op, 0)
    if isinstance(expr, ast.Ternary):
        return 0
    return 99


# ----------------------------------------------------------------------------- evaluation


def evaluate(expr: ast.Node | None, env: Env) -> Value | None:
    """The value of ``expr`` as GNU ld computes it in ``env``, or ``None`` when it
    depends on something unknown. Never raises."""
    if expr is None:
        return None
    try:
        return _eval(expr, env)
    except RecursionError:  # the parser caps depth at 256; this is belt and braces
        return None


def constant(expr: ast.Node | None, env: Env | None = None) -> int | None:
    """The value of ``expr`` evaluated outside output sections (numbers and
    absolute addresses alike), or ``None``."""
    env = env or Env()
    value = evaluate(expr, env)
    return None if value is None else address_of(value, env)


def address_of(value: Value, env: Env) -> int | None:
    """The absolute address ``value`` stands for where ``env`` is: a number is an
    address outside output sections and an offset from the current section's start
    inside one (that is what an assignment to ``.`` or to a symbol makes of it)."""
    if value.section is ABS:
        return value.value
    if value.section is NUMBER:
        if env.section is None:
            return value.value
        start = env.starts.get(env.section)
        return None if start is None else (start + value.value) & MASK
    start = env.starts.get(value.section)
    return None if start is None else (start + value.value) & MASK


def _make_abs(value: Value, env: Env) -> Value | None:
    if value.section is NUMBER or value.section is ABS:
        return Value(value.value, ABS)
    start = env.starts.get(value.section)
    return None if start is None else Value((start + value.value) & MASK, ABS)


def _rel_from_abs(address: int, env: Env) -> Value | None:
    """ld's ``new_rel_from_abs``: an address as a value relative to the current
    section (absolute outside output sections)."""
    if env.section is None:
        return Value(address & MASK, ABS)
    start = env.starts.get(env.section)
    return None if start is None else Value((address - start) & MASK, env.section)


def _eval(expr: ast.Node, env: Env) -> Value | None:
    if isinstance(expr, ast.Number):
        # ldexp.c exp_fold_tree_1, etree_value: outside output sections a number is an
        # absolute address (new_abs), unless LD_FEATURE("SANE_EXPR"); ld manual
        # "Expression Section": "Expressions appearing outside an output section
        # definition treat all numbers as absolute addresses."
        if env.section is None and not env.sane_expr:
            return Value(expr.value & MASK, ABS)
        return Value(expr.value & MASK)
    if isinstance(expr, ast.Dot):
        if env.dot is None:
            return None
        return Value(env.dot & MASK, ABS if env.section is None else env.section)
    if isinstance(expr, ast.Symbol):
        value = env.symbols.get(expr.name)
        if value is None:
            return None
        if value.section is ABS and (env.section is not None or env.sane_expr):
            return Value(value.value)  # "absolute symbols read as numbers" (§3.10.8)
        return value
    if isinstance(expr, ast.Unary):
        operand = _eval(expr.operand, env)
        if operand is None:
            return None
        v = operand.value
        result = {"-": -v, "~": ~v, "!": int(v == 0), "+": v}.get(expr.op)
        return None if result is None else Value(result & MASK, operand.section)
    if isinstance(expr, ast.Binary):
        left = _eval(expr.left, env)
        if left is None:
            return None
        right = _eval(expr.right, env)
        if right is None:
            return None
        return binary(expr.op, left, right, env)
    if isinstance(expr, ast.Ternary):
        cond = _eval(expr.condition, env)
        if cond is None:
            return None
        return _eval(expr.if_true if cond.value else expr.if_false, env)
    if isinstance(expr, ast.Call):
        return _call(expr, env)
    return None


_COMPARE = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
    "&&": lambda a, b: bool(a) and bool(b),
    "||": lambda a, b: bool(a) or bool(b),
}


def binary(op: str, left: Value, right: Value, env: Env) -> Value | None:
    """``left op right`` with ld's section rules (``ldexp.c`` ``fold_binary``,
    ``arith_result_section``). ``op`` is an operator of §3.10.6, or ``ALIGN``,
    ``MAX``, ``MIN`` for the two-argument builtins."""
    if left.section != right.section and NUMBER not in (left.section, right.section):
        # Values of different sections: both become absolute addresses.
        left, right = _make_abs(left, env), _make_abs(right, env)
        if left is None or right is None:
            return None
    a, b = left.value, right.value
    same = left.section == right.section
    section = left.section if left.section is not NUMBER else right.section
    if op in _COMPARE:
        return Value(int(_COMPARE[op](a, b)))
    if op in ("MAX", "MIN", "ALIGN"):
        if op == "MAX":
            result = max(a, b)
        elif op == "MIN":
            result = min(a, b)
        else:
            result = align_n(a, b)
        return Value(result & MASK, section)
    if op == "+":
        result = a + b
    elif op == "-":
        result = a - b
    elif op == "*":
        result = a * b
    elif op == "<<":
        result = a << (b & 63)
    elif op == ">>":
        result = a >> (b & 63)
    elif op == "&":
        result = a & b
    elif op == "|":
        result = a | b
    elif op == "^":
        result = a ^ b
    elif op in ("/", "%"):
        if b == 0:
            return None  # ld: "/ by zero", "% by zero" (fatal)
        sa, sb = signed(a), signed(b)
        quotient = abs(sa) // abs(sb)
        if (sa < 0) != (sb < 0):
            quotient = -quotient
        result = quotient if op == "/" else sa - sb * quotient
    else:
        return None
    if same:
        # Two numbers, two absolute addresses or two offsets in one section: a number
        # inside an output section, an absolute address outside (§3.10.8).
        section = NUMBER if env.section is not None or left.section is NUMBER else ABS
    return Value(result & MASK, section)


def _name(arg: ast.Node) -> str | None:
    if isinstance(arg, ast.Name):
        return arg.value
    if isinstance(arg, ast.Symbol):
        return arg.name
    return None


def _call(call: ast.Call, env: Env) -> Value | None:
    fn, args = call.function, call.args
    if fn in ("ALIGN", "BLOCK") and len(args) == 1:
        align = _eval(args[0], env)
        if align is None:
            return None
        dot = _absolute_dot(env)
        if dot is None:
            return None
        return _rel_from_abs(align_n(dot, align.value), env)
    if fn in ("ALIGN", "MAX", "MIN") and len(args) == 2:
        left = _eval(args[0], env)
        right = _eval(args[1], env) if left is not None else None
        if left is None or right is None:
            return None
        return binary(fn, left, right, env)
    if fn == "ABSOLUTE" and len(args) == 1:
        inner = _eval(args[0], env)
        return None if inner is None else _make_abs(inner, env)
    if fn == "LOG2CEIL" and len(args) == 1:
        inner = _eval(args[0], env)
        return None if inner is None else Value(_log2ceil(inner.value))
    if fn == "CONSTANT" and len(args) == 1:
        name = _name(args[0])
        if name in ("MAXPAGESIZE", "COMMONPAGESIZE"):
            return Value(env.page_size)
        return None
    if fn == "DEFINED" and len(args) == 1:
        name = _name(args[0])
        if name is not None and name in env.symbols:
            return Value(1)
        return Value(0) if env.complete else None
    if fn in ("SIZEOF", "ALIGNOF") and len(args) == 1:
        known = (env.sizes if fn == "SIZEOF" else env.alignments).get(_name(args[0]) or "")
        return None if known is None else Value(known & MASK)
    if fn == "LOADADDR" and len(args) == 1:
        load = env.loads.get(_name(args[0]) or "")
        return None if load is None else Value(load & MASK, ABS)
    if fn == "SIZEOF_HEADERS" and not args:
        return None if env.headers_size is None else Value(env.headers_size)
    if fn == "SEGMENT_START" and len(args) == 2 and env.complete:
        default = _eval(args[1], env)
        return None if default is None else _make_abs(default, env)
    if fn in ("ORIGIN", "LENGTH") and len(args) == 1:
        region = env.regions.get(_name(args[0]) or "")
        if region is None:
            return None
        if fn == "LENGTH":
            return None if region.length is None else Value(region.length & MASK)
        return None if region.origin is None else _rel_from_abs(region.origin, env)
    if fn == "ADDR" and len(args) == 1:
        name = _name(args[0])
        if name is None or name not in env.starts or (name == env.section and not env.complete):
            return None  # ld: ADDR of the section being laid out is not yet known
        return Value(0, name)
    if fn == "NEXT" and len(args) == 1:
        # ldexp.c fold_unary NEXT: the absolute location counter aligned.
        align = _eval(args[0], env)
        dot = _absolute_dot(env) if align is not None else None
        return None if dot is None else Value(align_n(dot, align.value), ABS)
    if env.dataseg is not None and fn.startswith("DATA_SEGMENT_"):
        return _data_segment(fn, args, env)
    if fn == "DATA_SEGMENT_END" and len(args) == 1:
        return _eval(args[0], env)
    if fn == "ASSERT" and args and env.complete:
        return _eval(args[0], env)  # ``. = ASSERT(x, msg)``: the value of x
    return None


def _data_segment(fn: str, args: tuple[ast.Node, ...], env: Env) -> Value | None:
    """``DATA_SEGMENT_*`` with a layout's :class:`DataSegmentHook` (``ldexp.c``
    ``fold_segment_align``, ``fold_segment_relro_end``, ``fold_segment_end``): valid
    only outside output sections, where the values are absolute addresses."""
    values = [_eval(a, env) for a in args]
    if env.section is not None or env.dot is None or any(v is None for v in values):
        return None
    hook = env.dataseg
    assert hook is not None
    if fn == "DATA_SEGMENT_ALIGN" and len(values) == 2:
        result = hook.align(values[0].value, values[1].value, env.dot)
    elif fn == "DATA_SEGMENT_RELRO_END" and len(values) == 2:
        # fold_binary makes both absolute first: `exp` as an address.
        exp = address_of(values[1], env)
        result = None if exp is None else hook.relro_end(values[0].value, exp)
    elif fn == "DATA_SEGMENT_END" and len(values) == 1:
        result = hook.end(values[0].value)
        return None if result is None else values[0]
    else:
        return None
    return None if result is None else Value(result & MASK, ABS)


def _absolute_dot(env: Env) -> int | None:
    if env.dot is None:
        return None
    if env.section is None:
        return env.dot
    start = env.starts.get(env.section)
    return None if start is None else (start + env.dot) & MASK


def sane_expr(statements: Iterable[ast.Node]) -> bool:
    """True when the top-level ``statements`` say ``LD_FEATURE("SANE_EXPR")``: numbers
    and absolute symbols are then numbers outside output sections too (ld manual
    "Miscellaneous Commands", ``LD_FEATURE``; ``ldexp.c`` ``config.sane_expr``)."""
    return any(isinstance(s, ast.LdFeature) and s.feature == "SANE_EXPR" for s in statements)


def memory_regions(statements: Iterable[ast.Node], env: Env | None = None) -> dict[str, Region]:
    """The ``MEMORY`` regions among ``statements`` (top-level statements, INCLUDEs
    resolved), with ``ORIGIN``/``LENGTH`` evaluated outside output sections. A region
    declared twice keeps its first declaration, as in ld ("redeclaration of memory
    region")."""
    env = env or Env()
    regions: dict[str, Region] = {}
    for statement in statements:
        if not isinstance(statement, ast.Memory):
            continue
        for region in statement.regions:
            if isinstance(region, ast.MemoryRegion) and region.name not in regions:
                regions[region.name] = Region(
                    constant(region.origin, env), constant(region.length, env)
                )
    return regions


# ----------------------------------------------------------------------------- memory maps

#: A MEMORY region at most this long is SRAM/TCM-sized: a microcontroller's memory map.
MCU_REGION_LIMIT = 16 << 20
#: Region names of non-volatile memory code runs from in place (no paging).
_ROM_NAMES = re.compile(r"(?i).*(flash|rom|nvm|eeprom|otp|xip|spifi|qspi|ospi).*")


def memory_map_only(loaded: LoadedScript) -> str | None:
    """Why ``loaded`` describes a memory map without page permissions (a
    microcontroller's flash and RAM, a firmware's SRAM), or None: a ``MEMORY`` region
    of non-volatile memory code runs from in place (named ``FLASH``, ``ROM``, ``XIP``...,
    or with attributes that take no writable sections, ``(rx)``), every region at most
    16 MiB long (SRAM, TCM), or sections placed ``> REGION`` in regions the script does
    not declare (they come from another file, as cortex-m-rt's ``memory.x``). ld manual
    "MEMORY Command": attributes say which input sections a region takes."""
    regions = [n for n in loaded.walk() if isinstance(n, ast.MemoryRegion)]
    if not regions:
        for node in loaded.walk():
            if isinstance(node, ast.OutputSection | ast.Overlay) and node.region is not None:
                return f"it places sections in MEMORY region `{node.region}` declared elsewhere"
        return None
    for region in regions:
        attrs = (region.attributes or "").split("!")[0].lower()
        if _ROM_NAMES.fullmatch(region.name) or (
            region.attributes is not None and "w" not in attrs and ("x" in attrs or "r" in attrs)
        ):
            return f"MEMORY region `{region.name}` is non-volatile memory code runs from"
    lengths = [constant(r.length) for r in regions]
    if all(n is not None and n <= MCU_REGION_LIMIT for n in lengths):
        return "every MEMORY region is at most 16 MiB (a microcontroller's SRAM)"
    return None


# ----------------------------------------------------------------------------- permissions

EXEC = frozenset({"x"})
READ_ONLY: frozenset[str] = frozenset()
WRITABLE = frozenset({"w"})

_NON_ALLOC = re.compile(
    r"^(\.comment|\.debug|\.zdebug|\.stab|\.line$|\.gnu\.attributes|\.note\.GNU-stack"
    r"|\.gnu_debuglink|\.gnu_debugaltlink|\.symtab|\.strtab|\.shstrtab|\.GCC\.command\.line"
    r"|\.ident|\.gnu\.warning|\.llvm_addrsig|\.gnu\.build\.attributes)"
)
_EXEC_NAMES = re.compile(
    r"^(\.text(\..*)?|\.init|\.fini|\.plt(\..*)?|\.iplt|\.stub|\.ltext(\..*)?"
    r"|\.gnu\.linkonce\.t\..*|\.fixup)$"
)
_READ_ONLY_NAMES = re.compile(
    r"^(\.rodata.*|\.rodata1|\.rdata.*|\.srodata.*|\.lrodata.*|\.eh_frame(_hdr)?|\.sframe"
    r"|\.gcc_except_table.*|\.note(\..*)?|\.interp|\.hash|\.gnu\.hash|\.dynsym|\.dynstr"
    r"|\.gnu\.version.*|\.rela?(\..*)?|\.gnu\.linkonce\.r\..*|.+\.rodata"
    # PowerPC EABI small read-only data (r2-based SDA2): ``.sdata2``, ``.sbss2``.
    r"|\.sdata2(\..*)?|\.sbss2(\..*)?|\.PPC\.EMB\.sdata2|\.PPC\.EMB\.sbss2)$"
)
_WRITABLE_NAMES = re.compile(
    r"^(\.data.*|\.data1|\.bss.*|\.sdata.*|\.sbss.*|\.ldata.*|\.lbss.*|\.tdata.*|\.tbss.*"
    r"|\.got(\..*)?|\.dynamic|\.init_array.*|\.fini_array.*|\.preinit_array.*|\.ctors.*"
    r"|\.dtors.*|\.jcr|\.noinit.*|\.gnu\.linkonce\.[db]\..*|COMMON|.+\.data|.+\.bss)$"
)
#: Linux-style ``.init.text``, ``.head.text``: code by their last component.
_EXEC_SUFFIX = re.compile(r"^.+\.text$")
#: Output section types that are not allocated (ld manual §3.6.8.1).
NON_ALLOC_TYPES = frozenset({"INFO", "COPY", "DSECT", "OVERLAY"})


def name_permissions(name: str) -> frozenset[str] | None:
    """The permissions sections named ``name`` get from their conventional flags:
    :data:`EXEC` (``.text*``, ``.init``, ``*.text``, ``.plt``...), :data:`READ_ONLY`
    (``.rodata*``, ``.eh_frame``, alloc notes, PowerPC EABI's ``.sdata2``/``.sbss2``
    small read-only data — "PowerPC Embedded ABI", 1995, §Small data areas),
    :data:`WRITABLE` (``.data*``,
    ``.bss*``, ``.got``, ``.init_array``, ``COMMON``...); ``None`` for a name with no
    convention (``.boot``, ``.multiboot``) or one never allocated (``.comment``,
    ``.debug*``, ``.note.GNU-stack``)."""
    if _NON_ALLOC.match(name):
        return None
    if _EXEC_NAMES.match(name):
        return EXEC
    if _READ_ONLY_NAMES.match(name):
        return READ_ONLY
    if _WRITABLE_NAMES.match(name):
        return WRITABLE
    if _EXEC_SUFFIX.match(name):
        return EXEC
    return None


def _pattern_base(pattern: str) -> str | None:
    """``.text.*`` → ``.text.x`` style stand-in for a wildcard pattern whose only
    wildcard is a trailing ``*`` or ``.*``; ``None`` for other wildcards."""
    base = pattern
    if base.endswith(".*"):
        base = base[:-2] + ".x"
    elif base.endswith("*"):
        base = base[:-1]
    if not base or any(c in base for c in "*?[]"):
        return None
    return base


def is_non_alloc_name(name: str) -> bool:
    """True for section names that are never allocated (``.comment``, ``.debug*``,
    ``.stab*``, ``.note.GNU-stack``, ``.symtab``...)."""
    return bool(_NON_ALLOC.match(name))


def section_permissions(
    section: ast.OutputSection, statements: Iterable[ast.Node] | None = None
) -> frozenset[str] | None:
    """What an allocated output section will be: the union of the permissions of the
    input sections its patterns name (``{"x"}`` code, ``{}`` read-only data,
    ``{"w"}`` writable data, ``{"x", "w"}`` both), from the patterns' names; by the
    output section's own name when it has no input section description. ``None``
    when any pattern (a bare file name, ``*``, ``INPUT_SECTION_FLAGS``, a name with no
    convention) or the name leaves it open. ``statements`` are the section's
    statements with INCLUDEs resolved (default: ``section.statements``)."""
    found: set[str] = set()
    inputs = 0
    for statement in section.statements if statements is None else statements:
        if not isinstance(statement, ast.InputSectionDescription):
            continue
        inputs += 1
        if statement.flags or statement.whole_file or not statement.sections:
            return None
        for pattern in statement.sections:
            base = _pattern_base(pattern.pattern)
            if base is None:
                return None
            if is_non_alloc_name(base):
                continue
            perms = name_permissions(base)
            if perms is None:
                return None
            found |= perms
    if inputs:
        return frozenset(found)
    return name_permissions(section.name)


def describe_permissions(perms: frozenset[str]) -> str:
    """``code``, ``read-only data``, ``writable data`` or ``code and writable data``."""
    if "x" in perms and "w" in perms:
        return "code and writable data"
    if "x" in perms:
        return "code"
    if "w" in perms:
        return "writable data"
    return "read-only data"


def is_allocated(section: ast.OutputSection) -> bool | None:
    """False for ``/DISCARD/``, the non-allocated types ``(INFO)``, ``(COPY)``,
    ``(DSECT)``, ``(OVERLAY)`` and sections whose name and patterns are all
    non-allocated ones (``.comment``, ``.debug*``); True when the section has a data
    statement or a pattern with an allocated conventional name; ``None`` otherwise."""
    if section.is_discard:
        return False
    if section.type is not None and section.type.kind in NON_ALLOC_TYPES:
        return False
    names = []
    for statement in section.statements:
        if isinstance(statement, ast.Data):
            return True
        if isinstance(statement, ast.InputSectionDescription):
            names.extend(p.pattern for p in statement.sections)
    bases = [_pattern_base(n) for n in names]
    if names and all(b is not None and is_non_alloc_name(b) for b in bases):
        return False
    if not names and is_non_alloc_name(section.name):
        return False
    if any(b is not None and name_permissions(b) is not None for b in bases):
        return True
    return None


# ----------------------------------------------------------------------------- tracing


@record(positional=True)
class Bound:
    """What is known about an address or offset: at least ``low``, exactly ``low``
    when ``exact``."""

    low: int
    exact: bool = False

    def __str__(self) -> str:
        return f"{self.low:#x}" if self.exact else f"at least {self.low:#x}"


@record(positional=True)
class Backwards:
    """A provable backward move of ``.`` inside an output section: from ``before``
    to ``to``, both offsets from the section's start when ``relative``, else
    absolute addresses (``to`` absolute, ``before`` a lower bound)."""

    before: Bound
    to: int
    relative: bool
    by: int | None = None  # for ``. -= n`` and ``. = . - n`` with `.` unknown: n


@record(positional=True)
class DotAssignment:
    """One assignment to ``.`` inside ``SECTIONS``. ``section`` is the output (or
    overlay) section it stands in, ``None`` at ``SECTIONS`` level; ``start`` that
    section's start address; ``before`` the location counter before it (absolute
    at ``SECTIONS`` level, an offset from ``start`` inside a section); ``value`` the
    right-hand side (``. op= x`` read as ``. = . op x``) as GNU ld evaluates it there;
    ``backwards`` set when GNU ld provably stops with "cannot move location counter
    backwards"; ``env`` the evaluation environment at that point."""

    node: ast.Assignment
    section: ast.OutputSection | ast.OverlaySection | None
    start: Bound | None
    before: Bound | None
    value: Value | None
    backwards: Backwards | None
    env: Env


@record(positional=True)
class Placement:
    """Where an output section starts (``start``, ``None`` when nothing is known),
    whether that start is provably a multiple of the page size, a lower bound of its
    size, and whether ``start`` is an exactly known address aligned up only by input
    alignments (``anchored``: after ``. = <constant>``, at a constant address, or at
    a region's origin), so that it is, in practice, where the section lands."""

    section: ast.OutputSection
    start: Bound | None
    page_aligned: bool
    size: int
    anchored: bool = False


# The records above get their __init__ and __repr__ (compiled on first use).
finish()


@dataclass(frozen=True)
class Trace:
    """The result of :func:`trace`: every assignment to ``.`` in order, each output
    section's placement, the symbols as assigned at the end of the script (values
    and the set of *address symbols*: assigned outside output sections from ``.``,
    ``ADDR``, ``ORIGIN``, ``ALIGN``... or from another address symbol; GNU ld reads
    them as plain numbers inside output sections), and the ``MEMORY`` regions."""

    assignments: tuple[DotAssignment, ...]
    placements: Mapping[ast.OutputSection, Placement]
    symbols: Mapping[str, Value | None]
    address_symbols: frozenset[str]
    regions: Mapping[str, Region]
    page_size: int


_ADDRESS_CALLS = {
    "ADDR",
    "LOADADDR",
    "ORIGIN",
    "ALIGN",
    "BLOCK",
    "NEXT",
    "SEGMENT_START",
    "SIZEOF_HEADERS",
    "DATA_SEGMENT_ALIGN",
    "DATA_SEGMENT_RELRO_END",
    "DATA_SEGMENT_END",
}


def is_address_expression(expr: ast.Node, address_symbols: Iterable[str] = ()) -> bool:
    """True when ``expr`` computes an address: it reads ``.``, calls ``ADDR``,
    ``LOADADDR``, ``ORIGIN``, ``ALIGN``, ``SEGMENT_START``, ``SIZEOF_HEADERS``,
    ``DATA_SEGMENT_*``, or reads one of ``address_symbols``."""
    known = set(address_symbols)
    for node in ast.walk(expr):
        if isinstance(node, ast.Dot):
            return True
        if isinstance(node, ast.Call) and node.function in _ADDRESS_CALLS:
            return True
        if isinstance(node, ast.Symbol) and node.name in known:
            return True
    return False


def _decrement(expr: ast.Node, env: Env) -> int | None:
    """n when ``expr`` is ``. - n`` or ``. + (-n)`` with n a positive constant."""
    if not isinstance(expr, ast.Binary) or expr.op not in "+-":
        return None
    if not isinstance(expr.left, ast.Dot) or references_dot(expr.right):
        return None
    right = evaluate(expr.right, Env(symbols=env.symbols, regions=env.regions))
    if right is None:
        return None
    delta = signed(right.value) if expr.op == "+" else -signed(right.value)
    return -delta if delta < 0 else None


def _combined(node: ast.Assignment) -> ast.Node:
    """``. op= x`` as the expression ``. op x``."""
    if node.op == "=":
        return node.expr
    op = node.op[:-1]
    dot = ast.Dot(span=node.span)
    return ast.Binary(op=op, left=dot, right=node.expr, span=node.span)


_MONOTONE_CALLS = {"ALIGN", "BLOCK", "MAX", "MIN"}


def _monotone(expr: ast.Node) -> bool:
    """True when ``expr`` can only grow when ``.`` grows (built from ``.``,
    constants, ``+``, ``-`` with a ``.``-free right side, ``ALIGN``, ``MAX``,
    ``MIN``), so that evaluating it at a lower bound of ``.`` gives a lower bound."""
    if isinstance(expr, ast.Dot | ast.Number | ast.Symbol):
        return True
    if isinstance(expr, ast.Binary):
        if expr.op == "+":
            return _monotone(expr.left) and _monotone(expr.right)
        if expr.op == "-":
            return _monotone(expr.left) and not references_dot(expr.right)
        return not references_dot(expr)
    if isinstance(expr, ast.Call):
        if expr.function in _MONOTONE_CALLS:
            return all(_monotone(a) for a in expr.args if not isinstance(a, ast.Name))
        return not references_dot(expr)
    return not references_dot(expr)


class _Tracer:
    def __init__(self, loaded: LoadedScript, page_size: int) -> None:
        self.loaded = loaded
        self.page_size = page_size
        top = list(loaded.statements())
        self.top = top
        self.has_memory = any(isinstance(s, ast.Memory) for s in top)
        self.has_insert = any(isinstance(s, ast.Insert) for s in top)
        self.sane_expr = sane_expr(top)
        self.regions = memory_regions(top, Env(page_size=page_size, sane_expr=self.sane_expr))
        self.symbols: dict[str, Value | None] = {}
        self.address_symbols: set[str] = set()
        self.starts: dict[str, int] = {}
        self.assignments: list[DotAssignment] = []
        self.placements: dict[ast.OutputSection, Placement] = {}
        # Location counter outside output sections: GNU ld starts SECTIONS at 0 unless
        # the command line says otherwise (-Ttext, --image-base...), so only a bound.
        self.dot: Bound | None = None if self.has_insert else Bound(0)
        self.region_current: dict[str, Bound | None] = {
            name: (None if r.origin is None else Bound(r.origin, True))
            for name, r in self.regions.items()
        }

    def env(self, section: str | None = None, dot: int | None = None) -> Env:
        return Env(
            section=section,
            dot=dot,
            starts=self.starts,
            symbols=self.symbols,
            regions=self.regions,
            page_size=self.page_size,
            sane_expr=self.sane_expr,
        )

    def top_env(self) -> Env:
        return self.env(None, self.dot.low if self.dot is not None and self.dot.exact else None)

    # -- statements

    def run(self) -> Trace:
        for statement in self.top:
            if isinstance(statement, ast.Assignment) and statement.target != ".":
                self.assign_symbol(statement, None, self.top_env())
            elif isinstance(statement, ast.Sections):
                self.sections(statement)
        return Trace(
            tuple(self.assignments),
            dict(self.placements),
            dict(self.symbols),
            frozenset(self.address_symbols),
            self.regions,
            self.page_size,
        )

    def sections(self, sections: ast.Sections) -> None:
        for statement in self.loaded.statements(sections.statements):
            if isinstance(statement, ast.Assignment):
                if statement.target == ".":
                    self.top_dot(statement)
                else:
                    self.assign_symbol(statement, None, self.top_env())
            elif isinstance(statement, ast.OutputSection):
                self.output_section(statement)
            elif isinstance(statement, ast.Overlay):
                self.overlay(statement)

    def assign_symbol(self, node: ast.Assignment, section: str | None, env: Env) -> None:
        expr = _combined(node)
        value = evaluate(expr, env)
        if node.kind in ("PROVIDE", "PROVIDE_HIDDEN"):
            value = None  # the objects may define it; then the script's value is unused
        elif value is not None and value.section is NUMBER:
            # ld gives a number the section the assignment stands in (etree_assign).
            value = Value(value.value, ABS if section is None else section)
        self.symbols[node.target] = value
        if section is None and is_address_expression(expr, self.address_symbols):
            self.address_symbols.add(node.target)
        else:
            self.address_symbols.discard(node.target)

    def top_dot(self, node: ast.Assignment) -> None:
        expr = _combined(node)
        env = self.top_env()
        value = evaluate(expr, env)
        before = self.dot
        target = None if value is None else address_of(value, env)
        if target is not None:
            after: Bound | None = Bound(target, True)
        elif before is not None and _monotone(expr) and references_dot(expr):
            # `.` is only bounded below: a monotone expression keeps a bound.
            low_env = self.env(None, before.low)
            low = evaluate(expr, low_env)
            low_target = None if low is None else address_of(low, low_env)
            after = None if low_target is None else Bound(low_target)
        else:
            after = None
        # Outside output sections GNU ld lets `.` move backwards (ld manual "Location
        # Counter"; checked with 2.40), so nothing is reported here.
        self.assignments.append(DotAssignment(node, None, None, before, value, None, env))
        self.dot = after

    def output_section(self, os: ast.OutputSection) -> None:
        if os.is_discard:
            return
        allocated = is_allocated(os)
        before = self.dot
        start, aligned, anchored = self.start_of(os)
        if start is not None and start.exact:
            self.starts[os.name] = start.low
        else:
            self.starts.pop(os.name, None)
        statements = list(self.loaded.statements(os.statements))
        final = self.body(os, os.name, statements, start)
        size = final.low
        self.placements[os] = Placement(os, start, aligned, size, anchored)
        if allocated is False:
            return  # a non-allocated section does not move `.` (checked with ld 2.40)
        end = None
        if start is not None:
            end = Bound((start.low + size) & MASK, start.exact and final.exact)
        if os.region is not None and os.address is None:
            current = self.region_current.get(os.region)
            if size > 0 and end is not None:
                self.region_current[os.region] = end
            elif current is not None and start is not None:
                self.region_current[os.region] = Bound(min(current.low, start.low))
            else:
                self.region_current[os.region] = None
            self.dot = None  # `.` after a region-placed section: not modelled
            return
        if size > 0 and end is not None:
            self.dot = end  # a section with contents is kept: `.` is past it
        elif before is not None and start is not None:
            # Removed when empty ("an address ... only changes `.` if the section is
            # used"): `.` is unchanged or past the start.
            self.dot = Bound(min(before.low, start.low))
        else:
            self.dot = None

    def start_of(self, os: ast.OutputSection) -> tuple[Bound | None, bool, bool]:
        """Where ``os`` starts, whether that is provably a page multiple, and whether
        it is anchored (see :class:`Placement`). ld 2.40 (``lang_size_sections_1``)
        places a section with an address expression exactly there, aligned up only
        by its ``ALIGN(...)`` attribute (input sections are padded inside it); a
        section placed at ``.`` or in a region is also aligned up to its largest
        input alignment, which is unknown: a lower bound."""
        page = self.page_size
        align = None
        if os.align is not None:
            align = constant(os.align, self.top_env())
        known_align = os.align is None or align is not None
        if os.address is not None and not isinstance(os.address, ast.Dot):
            address = constant(os.address, self.top_env())
            if address is None:
                return None, _aligned_expr(os.address, self.top_env(), page) is True, False
            low = align_n(address, align) if align else address
            aligned = _page_aligned(low, align, page, exact=True)
            return Bound(low, known_align), aligned, True
        if os.region is not None:
            current = self.region_current.get(os.region)
            if current is None:
                return None, _page_multiple(align, page), False
            low = align_n(current.low, align) if align else current.low
            aligned = _page_aligned(low, align, page, exact=current.exact)
            return Bound(low), aligned, current.exact
        if self.has_memory or self.dot is None:
            return None, _page_multiple(align, page), False
        low = align_n(self.dot.low, align) if align else self.dot.low
        aligned = _page_aligned(low, align, page, exact=self.dot.exact)
        return Bound(low), aligned, self.dot.exact

    def body(
        self,
        os: ast.OutputSection | ast.OverlaySection,
        name: str,
        statements: list[ast.Node],
        start: Bound | None,
    ) -> Bound:
        """Walk an output section's statements; return its size (a lower bound)."""
        offset = Bound(0, True)
        for statement in statements:
            if isinstance(statement, ast.InputSectionDescription | ast.Constructors):
                offset = Bound(offset.low)
            elif isinstance(statement, ast.Data):
                offset = Bound(offset.low + statement.width, offset.exact)
            elif isinstance(statement, ast.Assignment):
                env = self.env(name, offset.low if offset.exact else None)
                if statement.target != ".":
                    self.assign_symbol(statement, name, env)
                    continue
                offset = self.section_dot(statement, os, start, offset, env)
        return offset

    def section_dot(
        self,
        node: ast.Assignment,
        os: ast.OutputSection | ast.OverlaySection,
        start: Bound | None,
        offset: Bound,
        env: Env,
    ) -> Bound:
        expr = _combined(node)
        value = evaluate(expr, env)
        base = 0 if start is None else start.low
        backwards: Backwards | None = None
        after = Bound(offset.low)  # ld refuses backward moves: `.` never decreases
        if value is not None and (value.section is NUMBER or value.section == os.name):
            to = value.value
            if to < SIGN:
                if to < offset.low:
                    backwards = Backwards(offset, to, relative=True)
                after = Bound(to, True)
            elif base >= (1 << 64) - to:  # a negative offset that lands below the start
                backwards = Backwards(offset, to, relative=True)
        elif value is not None:
            target = address_of(value, env)
            if target is not None and start is not None and target < base + offset.low:
                backwards = Backwards(Bound(base + offset.low), target, relative=False)
        else:
            n = _decrement(expr, env)
            if n is not None and base + offset.low >= n:
                backwards = Backwards(offset, (offset.low - n) & MASK, relative=True, by=n)
        self.assignments.append(DotAssignment(node, os, start, offset, value, backwards, env))
        return after

    def overlay(self, overlay: ast.Overlay) -> None:
        start = None
        if overlay.start is not None:
            address = constant(overlay.start, self.top_env())
            start = None if address is None else Bound(address, True)
        elif self.dot is not None and not self.has_memory:
            start = Bound(self.dot.low)
        for section in overlay.sections:
            if start is not None and start.exact:
                self.starts[section.name] = start.low
            statements = list(self.loaded.statements(section.statements))
            self.body(section, section.name, statements, start)
        self.dot = None


def _page_multiple(value: int | None, page: int) -> bool:
    return value is not None and value > 0 and value % page == 0


def _page_aligned(low: int, align: int | None, page: int, *, exact: bool) -> bool:
    """A start that ld computes as ``low`` aligned up to a power of two is a page
    multiple when ``low`` is one (aligning a page multiple up keeps it one), or when
    the ``ALIGN`` attribute is a page multiple."""
    if _page_multiple(align, page):
        return True
    return exact and low % page == 0


def _aligned_expr(expr: ast.Node, env: Env, page: int) -> bool | None:
    """True when ``expr`` (outside output sections) is provably a multiple of
    ``page``; False when provably not; None when unknown."""
    value = constant(expr, env)
    if value is not None:
        return value % page == 0
    return page_aligned_form(expr, env, page)


def page_aligned_form(expr: ast.Node, env: Env, page: int) -> bool | None:
    """True when ``expr``, evaluated outside output sections with any ``.``, gives a
    multiple of ``page``: ``ALIGN(k*page)``, ``ALIGN(x, k*page)``, ``x & ~(page-1)``
    masks, sums, products and ``MAX``/``MIN`` of such. None when that cannot be shown.
    """
    const = constant(expr, Env(symbols=env.symbols, regions=env.regions, page_size=page))
    if const is not None:
        return const % page == 0
    if isinstance(expr, ast.Call):
        if expr.function in ("ALIGN", "BLOCK"):
            if len(expr.args) == 2 and not isinstance(expr.args[0], ast.Dot):
                return None  # ALIGN(x, a) aligns x's offset when x is section-relative
            align = constant(expr.args[-1], Env(symbols=env.symbols, page_size=page))
            if _page_multiple(align, page):
                return True
            return None
        if expr.function in ("MAX", "MIN"):
            parts = [page_aligned_form(a, env, page) for a in expr.args]
            return True if all(p is True for p in parts) else None
        return None
    if isinstance(expr, ast.Binary):
        if expr.op in "+-":
            parts = [page_aligned_form(a, env, page) for a in (expr.left, expr.right)]
            return True if all(p is True for p in parts) else None
        if expr.op in ("&", "*"):
            for side in (expr.left, expr.right):
                value = constant(side, Env(symbols=env.symbols, page_size=page))
                if value is None:
                    continue
                if expr.op == "&" and value & (page - 1) == 0:
                    return True
                if expr.op == "*" and _page_multiple(value, page):
                    return True
        return None
    if isinstance(expr, ast.Ternary):
        parts = [page_aligned_form(a, env, page) for a in (expr.if_true, expr.if_false)]
        return True if all(p is True for p in parts) else None
    return None


def trace(script: LoadedScript | ast.Script, *, page_size: int = DEFAULT_PAGE_SIZE) -> Trace:
    """Follow the location counter through every ``SECTIONS`` command of ``script``
    (INCLUDEs resolved), as GNU ld 2.40 lays it out, keeping only what is provable
    without the input objects:

    - outside output sections, ``.`` is known exactly after ``. = <constant>``, and
      as a lower bound after a section with contents of known minimum size (data
      statements such as ``LONG()``, ``. = <offset>``); input sections only make it
      grow, so a bound survives them; ``ALIGN``, ``. + n``, ``MAX`` keep a bound;
      anything else forgets it;
    - an output section with a constant address expression starts exactly there
      (aligned up by its ``ALIGN(...)`` attribute only: ld pads the input sections
      inside it; checked with 2.40); one placed at ``.`` or at its region's next
      free address is also aligned up to its largest input alignment, which is
      unknown, so its start is a lower bound;
    - inside an output section, ``.`` is an offset from the start, exact until the
      first input section, then a lower bound. GNU ld refuses to move it backwards
      there ("cannot move location counter backwards"), so after any accepted
      assignment the bound still holds; ``backwards`` marks the assignments whose
      target is provably below the current position (both sides constant, or a
      lower bound above the target);
    - after a ``MEMORY``-placed section, an ``OVERLAY`` or an ``INSERT`` script the
      location counter is not modelled.
    """
    from .include import LoadedScript

    loaded = script if isinstance(script, LoadedScript) else LoadedScript(script=script)
    return _Tracer(loaded, page_size).run()


def anchor(loaded: LoadedScript, span: ast.Span) -> tuple[ast.Span, str]:
    """Where to report a node of ``loaded`` in its main file: ``span`` itself when it
    is there (with an empty note), else the span of the main file's ``INCLUDE`` that
    leads to it, with the note ``" (in part.ld:3:5, included here)"`` to append to
    the message."""
    main = loaded.script.path
    if span.file == main:
        return span, ""
    note = f" (in {span.file}:{span.line}:{span.column}, included here)"
    holders = {script.path: include for include, script in loaded.included.items()}
    current = span
    for _ in range(len(holders) + 1):
        include = holders.get(current.file)
        if include is None:
            break
        current = include.span
        if current.file == main:
            return current, note
    return span, note
