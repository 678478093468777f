"""Parse actions: lark reductions to syntax tree (``ast``) nodes.

``Builder`` is given to lark as an *inline* transformer: each method runs when the
LALR parser reduces the rule of the same name, so no parse tree is built and nothing
recurses, however deep the input nests. The parser keeps every token
(``keep_all_tokens``), so each method sees its rule's punctuation too and computes
its node's span from its first and last child.

The checks ld makes while parsing but which one LALR(1) grammar cannot state (which
SORT keywords nest, PHDRS qualifiers, MEMORY attribute letters, expression depth)
happen here and raise ``TreeError``; ``parser`` turns that into a
``ScriptSyntaxError``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from lark import Token, Transformer

from . import ast
from .lexing import number_value

# Deepest expression tree accepted. The tree is built without recursion, but dataclass
# ``==`` and ``repr`` and any rule that evaluates expressions recursively need a Python
# frame or more per level; 256 leaves room under Python's default limit of 1000.
# GNU ld 2.40 accepts about 5000 nested parentheses (its bison stack holds 10000);
# parentheses alone add no depth here.
MAX_EXPR_DEPTH = 256

_MEMORY_ATTRIBUTE_LETTERS = set("rwxailRWXAIL")
_NAME_TYPES = frozenset({"SNAME", "ENAME", "WNAME", "QSTRING"})
_SORT_TYPES = frozenset({"SORT", "SORT_BY_NAME", "SORT_BY_ALIGNMENT", "SORT_NONE"})
_SORT_TYPES |= {"SORT_BY_INIT_PRIORITY"}

# C precedence of ld's binary operators (ldgram.y %left declarations), loosest first.
_PRECEDENCE = {
    "OROR": 1,
    "ANDAND": 2,
    "BAR": 3,
    "AMP": 4,
    "EQEQ": 5,
    "NOTEQ": 5,
    "LT": 6,
    "GT": 6,
    "LE": 6,
    "GE": 6,
    "LSHIFT": 7,
    "RSHIFT": 7,
    "PLUS": 8,
    "MINUS": 8,
    "STAR": 9,
    "SLASH": 9,
    "PERCENT": 9,
}


class TreeError(Exception):
    """A construct the grammar accepts but ld rejects while parsing."""

    def __init__(self, message: str, line: int, column: int, width: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.width = width


class Part(NamedTuple):
    """A piece of a node, passed from a sub-rule to its parent (``tag`` says which)."""

    tag: str
    value: Any
    span: ast.Span | None


def _token_error(message: str, token: Token) -> TreeError:
    return TreeError(message, token.line, token.column, len(token.value) or 1)


def _no_numbers(children: list) -> None:
    for child in children:
        if isinstance(child, Token) and child.type == "NUMBER":
            raise _token_error(
                f"GNU ld reads `{child.value}` as a number here, not as a symbol name "
                f'(quote it: "{child.value}")',
                child,
            )


def _unquote(token: Token) -> str:
    return token.value[1:-1] if token.type == "QSTRING" else token.value


def _names(children: list) -> list[Token]:
    """The name tokens among ``children`` (keywords and punctuation dropped)."""
    return [c for c in children if isinstance(c, Token) and c.type in _NAME_TYPES]


def _nodes(children: list) -> list:
    """The children that are not tokens or placeholders: nodes and parts."""
    return [c for c in children if c is not None and not isinstance(c, Token)]


class Builder(Transformer):
    """Parse actions for one file at a time: call ``reset(path, end)`` before each
    parse (``parser`` does, under a lock)."""

    def __init__(self) -> None:
        super().__init__()
        self.path = "<string>"
        self.end = (1, 1)
        self._depth: dict[int, int] = {}

    def reset(self, path: str, end: tuple[int, int]) -> None:
        self.path = path
        self.end = end
        self._depth = {}

    # ------------------------------------------------------------------ spans

    def _tspan(self, token: Token) -> ast.Span:
        return ast.Span(self.path, token.line, token.column, token.end_line, token.end_column)

    def _span(self, children: list) -> ast.Span | None:
        start = end = None
        for child in children:
            if isinstance(child, Token):
                start = (child.line, child.column)
            elif child is not None and child.span is not None:
                start = (child.span.line, child.span.column)
            if start is not None:
                break
        for child in reversed(children):
            if isinstance(child, Token):
                end = (child.end_line, child.end_column)
            elif child is not None and child.span is not None:
                end = (child.span.end_line, child.span.end_column)
            if end is not None:
                break
        if start is None or end is None:
            return None
        return ast.Span(self.path, start[0], start[1], end[0], end[1])

    def _name_node(self, token: Token) -> ast.Name:
        quoted = token.type == "QSTRING"
        return ast.Name(value=_unquote(token), quoted=quoted, span=self._tspan(token))

    # ------------------------------------------------------------------ files

    def _file(self, context: str, children: list) -> ast.Script:
        span = ast.Span(self.path, 1, 1, self.end[0], self.end[1])
        statements = tuple(_nodes(children))
        return ast.Script(path=self.path, statements=statements, context=context, span=span)

    def script(self, children):
        return self._file("script", children)

    def sections_body(self, children):
        return self._file("sections", children)

    def section_body(self, children):
        return self._file("section", children)

    def memory_body(self, children):
        return self._file("memory", children)

    # ------------------------------------------------------------------ simple commands

    def entry(self, children):
        return ast.Entry(symbol=_unquote(children[2]), span=self._span(children))

    def target(self, children):
        return ast.Target(bfdname=_unquote(children[2]), span=self._span(children))

    def search_dir(self, children):
        return ast.SearchDir(path=_unquote(children[2]), span=self._span(children))

    def output(self, children):
        return ast.Output(filename=_unquote(children[2]), span=self._span(children))

    def startup(self, children):
        return ast.Startup(filename=_unquote(children[2]), span=self._span(children))

    def map_cmd(self, children):
        return ast.Map(filename=_unquote(children[2]), span=self._span(children))

    def output_arch(self, children):
        return ast.OutputArch(arch=_unquote(children[2]), span=self._span(children))

    def ld_feature(self, children):
        return ast.LdFeature(feature=_unquote(children[2]), span=self._span(children))

    def output_format(self, children):
        names = [_unquote(t) for t in _names(children)]
        span = self._span(children)
        if len(names) == 1:
            return ast.OutputFormat(default=names[0], span=span)
        return ast.OutputFormat(default=names[0], big=names[1], little=names[2], span=span)

    def flag_command(self, children):
        return ast.FlagCommand(keyword=children[0].value, span=self._span(children))

    def input_file(self, children):
        (token,) = children
        span = self._tspan(token)
        if token.type == "QSTRING":
            return ast.InputFile(name=token.value[1:-1], quoted=True, span=span)
        if token.type == "LNAME":
            return ast.InputFile(name=token.value[2:], library=True, span=span)
        return ast.InputFile(name=token.value, span=span)

    @staticmethod
    def _files(children) -> tuple[ast.InputFile, ...]:
        files: list[ast.InputFile] = []
        for child in _nodes(children):
            files.extend(child.value if isinstance(child, Part) else (child,))
        return tuple(files)

    def as_needed(self, children):
        files = tuple(
            ast.InputFile(
                name=f.name, library=f.library, as_needed=True, quoted=f.quoted, span=f.span
            )
            for f in self._files(children)
        )
        return Part("as_needed", files, self._span(children))

    def input_cmd(self, children):
        return ast.Input(files=self._files(children), span=self._span(children))

    def group_cmd(self, children):
        return ast.Group(files=self._files(children), span=self._span(children))

    def nocrossrefs(self, children):
        return ast.NoCrossRefs(
            sections=tuple(_unquote(t) for t in _names(children)),
            to=children[0].type == "NOCROSSREFS_TO",
            span=self._span(children),
        )

    def extern_cmd(self, children):
        _no_numbers(children)
        symbols = tuple(_unquote(t) for t in _names(children))
        return ast.Extern(symbols=symbols, span=self._span(children))

    def insert(self, children):
        _, where, section = children
        return ast.Insert(where=where.value, section=_unquote(section), span=self._span(children))

    def region_alias(self, children):
        alias, region = _names(children)
        return ast.RegionAlias(
            alias=_unquote(alias), region=_unquote(region), span=self._span(children)
        )

    def _library_list(self, keyword, children):
        names = tuple(_unquote(t) for t in _names(children))
        return ast.LibraryList(keyword=keyword, names=names, span=self._span(children))

    def hll(self, children):
        return self._library_list("HLL", children)

    def syslib(self, children):
        return self._library_list("SYSLIB", children)

    def _include(self, context, children):
        token = children[1]
        return ast.Include(
            path=_unquote(token),
            context=context,
            quoted=token.type == "QSTRING",
            span=self._span(children),
        )

    def include_script(self, children):
        return self._include("script", children)

    def include_sections(self, children):
        return self._include("sections", children)

    def include_section(self, children):
        return self._include("section", children)

    def include_memory(self, children):
        return self._include("memory", children)

    # ------------------------------------------------------------------ assignments

    def assign_op(self, children):
        return Part("op", children[0].value, self._tspan(children[0]))

    def provide_kind(self, children):
        return Part("kind", children[0].value, self._tspan(children[0]))

    def assignment_s(self, children):
        span = self._span(children)
        first = children[0]
        if isinstance(first, Part):  # PROVIDE ( name = exp ) ;
            return ast.Assignment(
                target=_unquote(children[2]), op="=", expr=children[4], kind=first.value, span=span
            )
        return ast.Assignment(
            target=_unquote(first), op=children[1].value, expr=children[2], span=span
        )

    assignment_w = assignment_s

    def assert_cmd(self, children):
        return ast.Assert(
            condition=children[2], message=_unquote(children[4]), span=self._span(children)
        )

    assert_w = assert_cmd

    # ------------------------------------------------------------------ MEMORY

    def memory(self, children):
        return ast.Memory(regions=tuple(_nodes(children)), span=self._span(children))

    def memory_region(self, children):
        name, attributes = children[0], children[1]
        if children[3].type == "SNAME":
            raise _token_error(
                f"expected ORIGIN (or org, o), found `{children[3].value}`", children[3]
            )
        origin, length = children[5], children[6]
        return ast.MemoryRegion(
            name=_unquote(name),
            attributes=attributes.value if attributes is not None else None,
            origin=origin,
            length=length.value,
            name_span=self._tspan(name),
            span=self._span(children),
        )

    def memory_attributes(self, children):
        parts = _nodes(children)
        for part in parts:
            text, span = part.value, part.span
            for offset, letter in enumerate(text):
                if letter != "!" and letter not in _MEMORY_ATTRIBUTE_LETTERS:
                    raise TreeError(
                        f"invalid character `{letter}' in MEMORY attributes "
                        "(ld knows r, w, x, a, i, l and ! to negate)",
                        span.line,
                        span.column + offset,
                    )
        return Part("attributes", "".join(p.value for p in parts), self._span(children))

    def memory_attribute(self, children):
        return Part("attribute", "".join(_unquote(t) for t in children), self._span(children))

    def memory_length(self, children):
        keyword = children[-3]
        if keyword.type == "SNAME":
            raise _token_error(f"expected LENGTH (or len, l), found `{keyword.value}`", keyword)
        return Part("length", children[-1], self._span(children))

    # ------------------------------------------------------------------ PHDRS

    def phdrs(self, children):
        return ast.Phdrs(headers=tuple(_nodes(children)), span=self._span(children))

    def phdr(self, children):
        name, type_, *qualifiers = children[:-1]
        if isinstance(type_, ast.Symbol) and type_.name not in ast.PHDR_TYPES:
            span = type_.span
            raise TreeError(
                f"unknown phdr type `{type_.name}' (try integer literal)",
                span.line,
                span.column,
                len(type_.name),
            )
        found = {q.tag: q.value for q in qualifiers}
        return ast.Phdr(
            name=_unquote(name),
            type=type_,
            filehdr="FILEHDR" in found,
            phdrs="PHDRS" in found,
            at=found.get("AT"),
            flags=found.get("FLAGS"),
            name_span=self._tspan(name),
            span=self._span(children),
        )

    def phdr_keyword(self, children):
        keyword = children[0]
        values = _nodes(children[1:])
        value = values[0] if values else None
        word = keyword.value
        if (word in ("FILEHDR", "PHDRS") and value is None) or (
            word == "FLAGS" and value is not None
        ):
            return Part(word, True if value is None else value, self._span(children))
        raise _token_error(f"PHDRS syntax error at `{word}'", keyword)

    def phdr_at(self, children):
        return Part("AT", children[2], self._span(children))

    # ------------------------------------------------------------------ SECTIONS

    def sections(self, children):
        return ast.Sections(statements=tuple(_nodes(children)), span=self._span(children))

    def statement_list(self, children):
        return Part("statements", tuple(_nodes(children)), self._span(children))

    def phdr_list(self, children):
        names = tuple(_unquote(t) for t in _names(children))
        return Part("phdrs", names, self._span(children))

    def section_type(self, children):
        if len(children) == 2:  # `()` is the normal section type
            return None
        keyword = children[1]
        values = _nodes(children)
        return ast.SectionType(
            kind=keyword.value,
            value=values[0] if values else None,
            span=self._span(children),
        )

    def _wrapped(self, tag, children):
        return Part(tag, _nodes(children)[0], self._span(children))

    def section_at(self, children):
        return self._wrapped("at", children)

    def section_align(self, children):
        return self._wrapped("align", children)

    def section_subalign(self, children):
        return self._wrapped("subalign", children)

    def section_fill(self, children):
        return self._wrapped("fill", children)

    def align_with_input(self, children):
        return Part("align_with_input", True, self._span(children))

    def section_constraint(self, children):
        return Part("constraint", children[0].value, self._span(children))

    def section_region(self, children):
        return Part("region", _unquote(children[-1]), self._span(children))

    def section_lma_region(self, children):
        return Part("lma_region", _unquote(children[-1]), self._span(children))

    @staticmethod
    def _tags(children) -> dict[str, Any]:
        return {c.tag: c.value for c in children if isinstance(c, Part)}

    def output_section(self, children):
        name, address, type_, *rest = children
        return ast.OutputSection(
            name=_unquote(name),
            address=address,
            type=type_,
            name_span=self._tspan(name),
            span=self._span(children),
            **self._tags(rest),
        )

    def overlay(self, children):
        _, start, *rest = children
        return ast.Overlay(
            start=start,
            nocrossrefs=any(isinstance(c, Token) and c.type == "NOCROSSREFS" for c in rest),
            sections=tuple(c for c in rest if isinstance(c, ast.OverlaySection)),
            span=self._span(children),
            **self._tags(rest),
        )

    def overlay_section(self, children):
        name, *rest = children
        return ast.OverlaySection(
            name=_unquote(name),
            name_span=self._tspan(name),
            span=self._span(children),
            **self._tags(rest),
        )

    # ------------------------------------------------------------------ output section body

    def create_object_symbols(self, children):
        return ast.CreateObjectSymbols(span=self._span(children))

    def constructors(self, children):
        keyword = children[0]
        if keyword.type not in ("CONSTRUCTORS", "SORT", "SORT_BY_NAME"):
            raise _token_error(f"{keyword.value} cannot wrap CONSTRUCTORS", keyword)
        return ast.Constructors(sorted=len(children) > 1, span=self._span(children))

    def data(self, children):
        return ast.Data(size=children[0].value, value=children[2], span=self._span(children))

    def fill_cmd(self, children):
        return ast.Fill(value=children[2], span=self._span(children))

    def input_section(self, children):
        keep = children[0].type == "KEEP" if isinstance(children[0], Token) else False
        parts = {p.tag: p.value for p in _nodes(children)}
        file, sections = parts["body"]
        return ast.InputSectionDescription(
            file=file,
            sections=sections,
            keep=keep,
            flags=parts.get("flags", ()),
            span=self._span(children),
        )

    def whole_file(self, children):
        return Part("body", (children[0], ()), self._span(children))

    def file_sections(self, children):
        nodes = _nodes(children)
        return Part("body", (nodes[0], tuple(nodes[1:])), self._span(children))

    def bracket_sections(self, children):
        return Part("body", (None, tuple(_nodes(children))), self._span(children))

    def input_section_flags(self, children):
        names = tuple(_unquote(t) for t in _names(children))
        return Part("flags", names, self._span(children))

    def exclude_file(self, children):
        names = tuple(_unquote(t) for t in _names(children))
        return Part("exclude", names, self._span(children))

    def _pattern_parts(self, children):
        sort = [c for c in children if isinstance(c, Token) and c.type in _SORT_TYPES]
        exclude = next((c.value for c in children if isinstance(c, Part)), ())
        return sort, exclude, _names(children)[-1]

    def file_pattern(self, children):
        sort, exclude, name = self._pattern_parts(children)
        for token in sort:
            if token.type not in ("SORT", "SORT_BY_NAME", "SORT_NONE"):
                raise _token_error(
                    f"{token.value} cannot sort file names (only SORT, SORT_BY_NAME and "
                    "SORT_NONE can, since binutils 2.30)",
                    token,
                )
        return ast.FilePattern(
            pattern=_unquote(name),
            sort=tuple(_sort_name(t) for t in sort),
            exclude=exclude,
            quoted=name.type == "QSTRING",
            span=self._span(children),
        )

    def section_pattern(self, children):
        sort, exclude, name = self._pattern_parts(children)
        if len(sort) == 2:
            for token in sort:
                if token.type not in ("SORT", "SORT_BY_NAME", "SORT_BY_ALIGNMENT"):
                    raise _token_error(
                        f"{token.value} cannot be nested with another SORT keyword (only "
                        "SORT_BY_NAME and SORT_BY_ALIGNMENT nest)",
                        token,
                    )
        return ast.SectionPattern(
            pattern=_unquote(name),
            sort=tuple(_sort_name(t) for t in sort),
            exclude=exclude,
            quoted=name.type == "QSTRING",
            span=self._span(children),
        )

    # ------------------------------------------------------------------ VERSION

    def version(self, children):
        return ast.Version(nodes=tuple(_nodes(children)), span=self._span(children))

    def vers_node(self, children):
        tags = [c.value for c in children if isinstance(c, Token) and c.type == "VTAG"]
        (body,) = _nodes(children)
        globals_, locals_ = body.value
        first_is_tag = isinstance(children[0], Token) and children[0].type == "VTAG"
        return ast.VersionNode(
            tag=tags[0] if first_is_tag else None,
            global_patterns=globals_,
            local_patterns=locals_,
            depends=tuple(tags[1:] if first_is_tag else tags),
            span=self._span(children),
        )

    def vers_tag(self, children):
        globals_: tuple = ()
        locals_: tuple = ()
        current = "global"
        for child in children:
            if isinstance(child, Token):
                if child.type in ("VGLOBAL", "VLOCAL"):
                    current = "global" if child.type == "VGLOBAL" else "local"
            elif current == "global":
                globals_ += child.value
            else:
                locals_ += child.value
        return Part("tag", (globals_, locals_), self._span(children))

    def vers_defns(self, children):
        patterns: list[ast.VersionPattern] = []
        for child in _nodes(children):
            patterns.extend(child.value if isinstance(child, Part) else (child,))
        return Part("patterns", tuple(patterns), self._span(children))

    def vers_pattern(self, children):
        (token,) = children
        quoted = token.type == "QSTRING"
        return ast.VersionPattern(pattern=_unquote(token), quoted=quoted, span=self._tspan(token))

    def vers_extern(self, children):
        language = children[1].value[1:-1]
        patterns: list[ast.VersionPattern] = []
        for child in _nodes(children):
            for pattern in child.value if isinstance(child, Part) else (child,):
                if pattern.language is None:
                    pattern = ast.VersionPattern(
                        pattern=pattern.pattern,
                        language=language,
                        quoted=pattern.quoted,
                        span=pattern.span,
                    )
                patterns.append(pattern)
        return Part("patterns", tuple(patterns), self._span(children))

    # ------------------------------------------------------------------ expressions

    def _expr(self, node, *operands):
        depth = 1 + max((self._depth.get(id(o), 1) for o in operands), default=0)
        if depth > MAX_EXPR_DEPTH:
            raise TreeError(
                f"expression nested too deeply (limit {MAX_EXPR_DEPTH} levels)",
                node.span.line,
                node.span.column,
            )
        if depth > 1:
            self._depth[id(node)] = depth
        return node

    def number(self, children):
        (token,) = children
        return ast.Number(
            value=number_value(token.value), text=token.value, span=self._tspan(token)
        )

    def symbol(self, children):
        (token,) = children
        span = self._tspan(token)
        if token.type == "QSTRING":
            return ast.Symbol(name=token.value[1:-1], quoted=True, span=span)
        if token.value == ".":
            return ast.Dot(span=span)
        return ast.Symbol(name=token.value, span=span)

    def primary(self, children):  # ( exp )
        return children[1]

    def unary_op(self, children):
        op, operand = children
        node = ast.Unary(op=op.value, operand=operand, span=self._span(children))
        return self._expr(node, operand)

    def ternary(self, children):
        condition, _, if_true, _, if_false = children
        node = ast.Ternary(
            condition=condition,
            if_true=if_true,
            if_false=if_false,
            span=self._span(children),
        )
        return self._expr(node, condition, if_true, if_false)

    def operation(self, children):
        """``a op b op c ...`` grouped by C precedence, left to right (shunting-yard)."""
        operands = [children[0]]
        operators: list[Token] = []
        for i in range(1, len(children), 2):
            op = children[i]
            level = _PRECEDENCE[op.type]
            while operators and _PRECEDENCE[operators[-1].type] >= level:
                self._combine(operands, operators)
            operators.append(op)
            operands.append(children[i + 1])
        while operators:
            self._combine(operands, operators)
        return operands[0]

    def _combine(self, operands: list, operators: list[Token]) -> None:
        right = operands.pop()
        left = operands.pop()
        op = operators.pop()
        a, b = left.span, right.span
        span = ast.Span(self.path, a.line, a.column, b.end_line, b.end_column)
        node = ast.Binary(op=op.value, left=left, right=right, span=span)
        operands.append(self._expr(node, left, right))

    def call(self, children):
        function = children[0]
        if function.type in ("DEFINED", "CONSTANT"):
            _no_numbers(children)
        args = tuple(
            self._name_node(c) if isinstance(c, Token) else c
            for c in children[2:-1]
            if not isinstance(c, Token) or c.type in _NAME_TYPES
        )
        node = ast.Call(function=function.value, args=args, span=self._span(children))
        return self._expr(node, *args)


def _sort_name(token: Token) -> str:
    return "SORT_BY_NAME" if token.type == "SORT" else token.value
