"""One small script per construct of the GNU ld 2.40 script language."""

from __future__ import annotations

import pytest

from kernlint.ldscript import ScriptSyntaxError, ast, parse_fragment, parse_script

from .conftest import expr, parse_one, section_body


def sections_of(text: str) -> tuple:
    return parse_one(f"SECTIONS {{ {text} }}").statements


def output_section(text: str) -> ast.OutputSection:
    (section,) = sections_of(text)
    return section


# ----------------------------------------------------------------------------- commands


def test_simple_commands():
    script = parse_script(
        'ENTRY(_start) OUTPUT_FORMAT("elf64-x86-64") OUTPUT_ARCH(i386:x86-64)'
        ' TARGET(elf64-x86-64) SEARCH_DIR(/usr/lib) SEARCH_DIR("=/opt") OUTPUT(k.elf)'
        " STARTUP(crt0.o) MAP(k.map) FORCE_COMMON_ALLOCATION INHIBIT_COMMON_ALLOCATION"
        ' FORCE_GROUP_ALLOCATION LD_FEATURE("SANE_EXPR") REGION_ALIAS("alias", ram)'
        " INSERT AFTER .data INSERT BEFORE .bss HLL(a b) SYSLIB(c) FLOAT NOFLOAT ;"
    )
    s = script.statements
    assert s[0] == ast.Entry(symbol="_start", span=s[0].span)
    assert s[1].default == "elf64-x86-64" and s[1].big is None
    assert s[2].arch == "i386:x86-64"
    assert s[3].bfdname == "elf64-x86-64"
    assert [s[4].path, s[5].path] == ["/usr/lib", "=/opt"]
    assert s[6].filename == "k.elf"
    assert s[7].filename == "crt0.o"
    assert s[8].filename == "k.map"
    assert [f.keyword for f in s[9:12]] == [
        "FORCE_COMMON_ALLOCATION",
        "INHIBIT_COMMON_ALLOCATION",
        "FORCE_GROUP_ALLOCATION",
    ]
    assert s[12].feature == "SANE_EXPR"
    assert (s[13].alias, s[13].region) == ("alias", "ram")
    assert (s[14].where, s[14].section) == ("AFTER", ".data")
    assert (s[15].where, s[15].section) == ("BEFORE", ".bss")
    assert (s[16].keyword, s[16].names) == ("HLL", ("a", "b"))
    assert (s[17].keyword, s[17].names) == ("SYSLIB", ("c",))
    assert [s[18].keyword, s[19].keyword] == ["FLOAT", "NOFLOAT"]
    assert len(s) == 20


def test_output_format_with_three_names():
    fmt = parse_one('OUTPUT_FORMAT("elf32-bigarm", "elf32-bigarm", "elf32-littlearm")')
    assert (fmt.default, fmt.big, fmt.little) == ("elf32-bigarm", "elf32-bigarm", "elf32-littlearm")
    fmt = parse_one("OUTPUT_FORMAT(elf32-bigarm , elf32-bigarm , elf32-littlearm)")
    assert (fmt.default, fmt.little) == ("elf32-bigarm", "elf32-littlearm")


def test_unquoted_names_swallow_a_following_comma_like_ld():
    with pytest.raises(ScriptSyntaxError, match="reads `elf32-bigarm,` as one name"):
        parse_script("OUTPUT_FORMAT(elf32-bigarm, elf32-bigarm, elf32-littlearm)")


def test_input_group_as_needed():
    script = parse_script("INPUT(a.o , b.o -lm) GROUP(/lib/libc.so.6 AS_NEEDED(ld.so -lx) =/sys.a)")
    inp, grp = script.statements
    assert [(f.name, f.library, f.as_needed) for f in inp.files] == [
        ("a.o", False, False),
        ("b.o", False, False),
        ("m", True, False),
    ]
    assert [(f.name, f.library, f.as_needed) for f in grp.files] == [
        ("/lib/libc.so.6", False, False),
        ("ld.so", False, True),
        ("x", True, True),
        ("=/sys.a", False, False),
    ]


def test_input_file_names_take_commas_like_ld():
    # ld: `cannot find u.o,: No such file or directory`
    (inp,) = parse_script("INPUT(u.o, v.o)").statements
    assert [f.name for f in inp.files] == ["u.o,", "v.o"]


def test_extern_nocrossrefs():
    script = parse_script("EXTERN(a b, c) NOCROSSREFS(.text .data) NOCROSSREFS_TO(.a , .b)")
    ext, ncr, ncrt = script.statements
    assert ext.symbols == ("a", "b", "c")  # expression state: `,` separates
    assert (ncr.sections, ncr.to) == ((".text", ".data"), False)
    assert (ncrt.sections, ncrt.to) == ((".a", ".b"), True)
    # script state: a comma right after a name belongs to it, as in ld
    assert parse_script("NOCROSSREFS(.a, .b)").statements[0].sections == (".a,", ".b")


def test_extern_rejects_a_word_ld_reads_as_a_number():
    with pytest.raises(ScriptSyntaxError, match="reads `dead` as a number"):
        parse_script("EXTERN(dead)")


# ----------------------------------------------------------------------------- assignments


@pytest.mark.parametrize("op", ["=", "+=", "-=", "*=", "/=", "<<=", ">>=", "&=", "|="])
def test_assignment_operators(op):
    top = parse_one(f"a {op} 1;")
    inner = section_body(f"a {op} 1;")[0]
    in_sections = sections_of(f"a {op} 1,")[0]
    for node in (top, inner, in_sections):
        assert (node.target, node.op, node.kind) == ("a", op, None)
        assert node.expr.value == 1


@pytest.mark.parametrize("kind", ["PROVIDE", "PROVIDE_HIDDEN", "HIDDEN"])
def test_provide_and_hidden(kind):
    for node in (parse_one(f"{kind}(sym = .);"), section_body(f"{kind}(sym = . + 1);")[0]):
        assert (node.target, node.op, node.kind) == ("sym", "=", kind)


def test_location_counter_assignment():
    node = sections_of(". = 0x100000;")[0]
    assert node.target == "."
    assert node.expr.value == 0x100000


def test_assert_statement_forms():
    top = parse_script('ASSERT(a > 0, "a positive");').statements[0]
    assert isinstance(top, ast.Assert) and top.message == "a positive"
    in_sections = sections_of('ASSERT(SIZEOF(.got) == 0, "no GOT")')[0]
    assert in_sections.condition.op == "=="
    in_section = section_body("ASSERT(. < 0x8000, too_big);")[0]
    assert in_section.message == "too_big"
    sink = sections_of('. = ASSERT(_end <= 0x8000, "Setup too big!");')[0]
    assert isinstance(sink.expr, ast.Call) and sink.expr.function == "ASSERT"
    assert sink.expr.args[1] == ast.Name(
        value="Setup too big!", quoted=True, span=sink.expr.args[1].span
    )


# ----------------------------------------------------------------------------- SECTIONS


def test_output_section_everything():
    s = output_section(
        ".text 0x1000 (NOLOAD) : AT(0x2000) ALIGN(16) SUBALIGN(4) ONLY_IF_RW"
        " { *(.text) } > ram AT> rom :text :data = 0x90909090,"
    )
    assert s.name == ".text"
    assert s.address.value == 0x1000
    assert s.type.kind == "NOLOAD"
    assert s.at.value == 0x2000
    assert s.align.value == 16
    assert s.subalign.value == 4
    assert s.constraint == "ONLY_IF_RW"
    assert (s.region, s.lma_region) == ("ram", "rom")
    assert s.phdrs == ("text", "data")
    assert s.fill.value == 0x90909090
    assert not s.align_with_input


def test_output_section_defaults():
    s = output_section(".data : { *(.data) }")
    assert (s.address, s.type, s.at, s.align, s.subalign, s.constraint) == (None,) * 6
    assert (s.region, s.lma_region, s.phdrs, s.fill) == (None, None, (), None)


def test_phdr_trailer_with_and_without_spaces():
    assert output_section(".t : { } : text").phdrs == ("text",)
    assert output_section(".t : { }:text").phdrs == ("text",)
    assert output_section(".t : { } :a :b").phdrs == ("a", "b")
    # ld lexes `text:data` as one phdr name (and then reports it as non-existent)
    assert output_section(".t : { }:text:data").phdrs == ("text:data",)


def test_region_trailers_with_and_without_spaces():
    s = output_section(".t : { } >ram AT>rom")
    assert (s.region, s.lma_region) == ("ram", "rom")
    s = output_section(".t : { } > ram AT > rom")
    assert (s.region, s.lma_region) == ("ram", "rom")


@pytest.mark.parametrize("kind", ["NOLOAD", "DSECT", "COPY", "INFO", "OVERLAY", "READONLY"])
def test_section_types(kind):
    s = output_section(f".x ({kind}) : {{ *(.x) }}")
    assert (s.type.kind, s.type.value) == (kind, None)


def test_typed_sections():
    s = output_section(".x (TYPE = SHT_PROGBITS) : { }")
    assert (s.type.kind, s.type.value.name) == ("TYPE", "SHT_PROGBITS")
    s = output_section(".x (READONLY (TYPE = 1)) : { }")
    assert (s.type.kind, s.type.value.value) == ("READONLY", 1)
    assert output_section(".x () : { }").type is None


def test_address_in_parentheses_is_not_a_type():
    s = output_section(".text (__kernel_text_virt) : AT (__kernel_text_phys) { }")
    assert s.address.name == "__kernel_text_virt"
    assert s.type is None
    assert s.at.name == "__kernel_text_phys"


def test_align_with_input():
    assert output_section(".d : ALIGN_WITH_INPUT { }").align_with_input


def test_only_if_ro_and_special():
    assert output_section(".d : ONLY_IF_RO { }").constraint == "ONLY_IF_RO"
    assert output_section(".d : SPECIAL { }").constraint == "SPECIAL"


def test_discard():
    s = output_section("/DISCARD/ : { *(.comment) *(.eh_frame) }")
    assert s.is_discard and len(s.statements) == 2


def test_fill_followed_by_discard_is_not_a_division():
    first, second = sections_of(".a : { } =0x90 /DISCARD/ : { }")
    assert first.fill.value == 0x90
    assert second.name == "/DISCARD/"


def test_entry_inside_sections():
    (entry, _) = sections_of("ENTRY(start) .text : { }")
    assert entry.symbol == "start"


def test_overlay():
    ov = sections_of(
        "OVERLAY 0x1000 : NOCROSSREFS AT(0x4000) SUBALIGN(4) { .ov1 { *(.ov1) } :a =1,"
        " .ov2 { *(.ov2) } } > ram AT> rom :b = 0"
    )[0]
    assert isinstance(ov, ast.Overlay)
    assert (ov.start.value, ov.nocrossrefs, ov.at.value, ov.subalign.value) == (
        0x1000,
        True,
        0x4000,
        4,
    )
    assert [s.name for s in ov.sections] == [".ov1", ".ov2"]
    assert (ov.sections[0].phdrs, ov.sections[0].fill.value) == (("a",), 1)
    assert (ov.region, ov.lma_region, ov.phdrs, ov.fill.value) == ("ram", "rom", ("b",), 0)
    bare = sections_of("OVERLAY : { .a { } }")[0]
    assert (bare.start, bare.nocrossrefs, bare.sections[0].name) == (None, False, ".a")


# ----------------------------------------------------------------------------- input sections


def test_input_section_description():
    (spec,) = section_body("*(.text .text.*)")
    assert spec.file.pattern == "*"
    assert [p.pattern for p in spec.sections] == [".text", ".text.*"]
    assert (spec.keep, spec.flags, spec.whole_file) == (False, (), False)


def test_keep():
    (spec,) = section_body("KEEP(*(.multiboot_header))")
    assert spec.keep and spec.sections[0].pattern == ".multiboot_header"


def test_whole_file_and_file_with_sections():
    whole, one = section_body("locore.o file.o(.text)")
    assert whole.whole_file and whole.file.pattern == "locore.o"
    assert one.file.pattern == "file.o" and one.sections[0].pattern == ".text"


def test_bracket_section_list():
    (spec,) = section_body("[ .x .y ]")
    assert spec.file is None
    assert [p.pattern for p in spec.sections] == [".x", ".y"]


def test_exclude_file_inside_and_outside():
    inside, outside = section_body(
        "*(EXCLUDE_FILE(*crtend.o *otherfile.o) .ctors .dtors) EXCLUDE_FILE(*a.o) *(.x)"
    )
    assert inside.sections[0].exclude == ("*crtend.o", "*otherfile.o")
    assert inside.sections[1].exclude == ()
    assert outside.file.exclude == ("*a.o",)
    assert outside.file.pattern == "*"


def test_exclude_file_with_archive_members():
    (spec,) = section_body("*(EXCLUDE_FILE(*libgcc.a: *libc.a:*lib_a-mem*.o *libm.a:) .text*)")
    assert spec.sections[0].exclude == ("*libgcc.a:", "*libc.a:*lib_a-mem*.o", "*libm.a:")


@pytest.mark.parametrize(
    ("pattern", "sort"),
    [
        ("SORT(.a.*)", ("SORT_BY_NAME",)),
        ("SORT_BY_NAME(.a.*)", ("SORT_BY_NAME",)),
        ("SORT_BY_ALIGNMENT(.a.*)", ("SORT_BY_ALIGNMENT",)),
        ("SORT_BY_INIT_PRIORITY(.init_array.*)", ("SORT_BY_INIT_PRIORITY",)),
        ("SORT_NONE(.a)", ("SORT_NONE",)),
        ("SORT_BY_NAME(SORT_BY_ALIGNMENT(.a))", ("SORT_BY_NAME", "SORT_BY_ALIGNMENT")),
        ("SORT_BY_ALIGNMENT(SORT_BY_NAME(.a))", ("SORT_BY_ALIGNMENT", "SORT_BY_NAME")),
        ("SORT(SORT(.a))", ("SORT_BY_NAME", "SORT_BY_NAME")),
        ("SORT_BY_ALIGNMENT(SORT_BY_ALIGNMENT(.a))", ("SORT_BY_ALIGNMENT", "SORT_BY_ALIGNMENT")),
    ],
)
def test_section_sorting(pattern, sort):
    (spec,) = section_body(f"*({pattern})")
    assert spec.sections[0].sort == sort


def test_sort_with_exclude_file_inside():
    (spec,) = section_body("*(SORT(EXCLUDE_FILE(x.o) .h))")
    assert (spec.sections[0].sort, spec.sections[0].exclude) == (("SORT_BY_NAME",), ("x.o",))


def test_file_sorting():
    by_name, none = section_body("SORT(*)(.f) SORT_NONE(*.o)(.g)")
    assert by_name.file.sort == ("SORT_BY_NAME",)
    assert (none.file.sort, none.file.pattern) == (("SORT_NONE",), "*.o")


@pytest.mark.parametrize(
    "body",
    [
        "SORT_BY_ALIGNMENT(*)(.text)",
        "SORT_BY_INIT_PRIORITY(*)(.text)",
        "*(SORT_BY_NAME(SORT_BY_INIT_PRIORITY(.a)))",
        "*(SORT_NONE(SORT_BY_NAME(.a)))",
        "SORT_NONE(CONSTRUCTORS)",
    ],
)
def test_sorting_ld_rejects(body):
    with pytest.raises(ScriptSyntaxError):
        section_body(body)


def test_input_section_flags():
    plain, kept = section_body(
        "INPUT_SECTION_FLAGS(SHF_ALLOC & !SHF_WRITE) *(.text)"
        " KEEP(INPUT_SECTION_FLAGS(SHF_ALLOC) *(.x))"
    )
    assert plain.flags == ("SHF_ALLOC", "!SHF_WRITE")
    assert kept.keep and kept.flags == ("SHF_ALLOC",)


def test_common_and_archive_wildcards():
    common, lib = section_body("*(COMMON) libc.a ( * )")
    assert common.sections[0].pattern == "COMMON"
    assert (lib.file.pattern, lib.sections[0].pattern) == ("libc.a", "*")


# ----------------------------------------------------------------------------- output section data


@pytest.mark.parametrize(
    ("size", "width"), [("BYTE", 1), ("SHORT", 2), ("LONG", 4), ("QUAD", 8), ("SQUAD", 8)]
)
def test_data_statements(size, width):
    (data,) = section_body(f"{size}(0xaa55)")
    assert (data.size, data.width, data.value.value) == (size, width, 0xAA55)


def test_fill_and_keywords():
    fill, cos, ctors, sorted_ctors = section_body(
        "FILL(0x90) CREATE_OBJECT_SYMBOLS CONSTRUCTORS SORT(CONSTRUCTORS)"
    )
    assert isinstance(fill, ast.Fill) and fill.value.value == 0x90
    assert isinstance(cos, ast.CreateObjectSymbols)
    assert (ctors.sorted, sorted_ctors.sorted) == (False, True)


def test_empty_statements_in_output_section():
    assert section_body("; ; *(.x) ;")[0].sections[0].pattern == ".x"


# ----------------------------------------------------------------------------- MEMORY


def test_memory():
    mem = parse_one(
        "MEMORY { ram (rwx) : ORIGIN = 0x100000, LENGTH = 64M"
        " rom (rx!w) : org = 0x0, len = 1M, flash (!w) : o = 0x8000000, l = 512K"
        " plain : ORIGIN = 0 LENGTH = 1 }"
    )
    ram, rom, flash, plain = mem.regions
    assert (ram.name, ram.attributes, ram.origin.value, ram.length.value) == (
        "ram",
        "rwx",
        0x100000,
        64 << 20,
    )
    assert (rom.attributes, rom.origin.value, rom.length.value) == ("rx!w", 0, 1 << 20)
    assert (flash.attributes, flash.length.value) == ("!w", 512 * 1024)
    assert plain.attributes is None


def test_memory_expressions():
    (region,) = parse_one(
        "MEMORY { ram : ORIGIN = DEFINED(base) ? base : 0x1000, LENGTH = ORIGIN(rom) - 4K }"
    ).regions
    assert isinstance(region.origin, ast.Ternary)
    assert region.length.op == "-"


def test_memory_attribute_letters_are_checked():
    with pytest.raises(ScriptSyntaxError, match="invalid character `q' in MEMORY attributes"):
        parse_script("MEMORY { ram (rwq) : ORIGIN = 0, LENGTH = 1 }")


def test_empty_memory():
    assert parse_one("MEMORY { }").regions == ()


# ----------------------------------------------------------------------------- PHDRS


def test_phdrs():
    phdrs = parse_one(
        "PHDRS { headers PT_PHDR PHDRS; text PT_LOAD FILEHDR PHDRS FLAGS(1 | 4);"
        " data PT_LOAD AT(0x1000) FLAGS(6); tls PT_TLS; rnd 0x65a3dbe6; gnu PT_GNU_STACK; }"
    )
    headers, text, data, tls, rnd, gnu = phdrs.headers
    assert (headers.name, headers.type_value, headers.phdrs, headers.filehdr) == (
        "headers",
        6,
        True,
        False,
    )
    assert (text.type_value, text.filehdr, text.phdrs) == (1, True, True)
    assert text.flags.op == "|"
    assert (data.at.value, data.flags.value) == (0x1000, 6)
    assert tls.type_value == 7
    assert rnd.type_value == 0x65A3DBE6
    assert gnu.type_value == 0x6474E551


def test_phdrs_rejections_worded_like_ld():
    with pytest.raises(ScriptSyntaxError, match="PHDRS syntax error at `FOO'"):
        parse_script("PHDRS { text PT_LOAD FOO(5); }")
    with pytest.raises(ScriptSyntaxError, match="PHDRS syntax error at `FLAGS'"):
        parse_script("PHDRS { text PT_LOAD FLAGS; }")
    with pytest.raises(
        ScriptSyntaxError, match=r"unknown phdr type `PT_BOGUS' \(try integer literal\)"
    ):
        parse_script("PHDRS { text PT_BOGUS; }")


# ----------------------------------------------------------------------------- VERSION


def test_version():
    version = parse_one(
        "VERSION { V1 { global: foo; bar*; local: *; }; V2 { baz; } V1;"
        ' { global: extern "C++" { ns::*; "a b"; }; }; }'
    )
    v1, v2, anon = version.nodes
    assert v1.tag == "V1"
    assert [p.pattern for p in v1.global_patterns] == ["foo", "bar*"]
    assert [p.pattern for p in v1.local_patterns] == ["*"]
    assert (v2.tag, [p.pattern for p in v2.global_patterns], v2.depends) == ("V2", ["baz"], ("V1",))
    assert anon.tag is None
    assert [(p.pattern, p.language, p.quoted) for p in anon.global_patterns] == [
        ("ns::*", "C++", False),
        ("a b", "C++", True),
    ]


def test_version_patterns_named_like_keywords():
    (node,) = parse_one("VERSION { V { global: local; global; extern; local: x; }; }").nodes
    assert [p.pattern for p in node.global_patterns] == ["local", "global", "extern"]
    assert [p.pattern for p in node.local_patterns] == ["x"]


# ----------------------------------------------------------------------------- expressions


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        ("1 + 2 * 3", ("+", 1, ("*", 2, 3))),
        ("1 - 2 - 3", ("-", ("-", 1, 2), 3)),
        ("1 << 2 + 3", ("<<", 1, ("+", 2, 3))),
        ("1 < 2 == 3", ("==", ("<", 1, 2), 3)),
        ("1 & 2 == 2", ("&", 1, ("==", 2, 2))),
        ("1 | 2 & 3", ("|", 1, ("&", 2, 3))),
        ("1 || 2 && 3", ("||", 1, ("&&", 2, 3))),
        ("1 % 2 / 3", ("/", ("%", 1, 2), 3)),
        ("(1 + 2) * 3", ("*", ("+", 1, 2), 3)),
        ("-1 * 2", ("*", ("-", 1), 2)),
        ("!1 + ~2", ("+", ("!", 1), ("~", 2))),
        ("1 ? 2 : 3 ? 4 : 5", ("?", 1, 2, ("?", 3, 4, 5))),
        ("1 || 0 ? 2 : 3", ("?", ("||", 1, 0), 2, 3)),
        ("1 >= 2 != 3 <= 4", ("!=", (">=", 1, 2), ("<=", 3, 4))),
        ("8 >> 1 > 3", (">", (">>", 8, 1), 3)),
    ],
)
def test_precedence(text, shape):
    def flatten(node):
        if isinstance(node, ast.Number):
            return node.value
        if isinstance(node, ast.Unary):
            return (node.op, flatten(node.operand))
        if isinstance(node, ast.Ternary):
            return ("?", flatten(node.condition), flatten(node.if_true), flatten(node.if_false))
        return (node.op, flatten(node.left), flatten(node.right))

    assert flatten(expr(text)) == shape


@pytest.mark.parametrize(
    ("text", "function", "args"),
    [
        ("ABSOLUTE(.)", "ABSOLUTE", [ast.Dot]),
        ("ADDR(.text)", "ADDR", [".text"]),
        ("ALIGN(8)", "ALIGN", [8]),
        ("ALIGN(., 8)", "ALIGN", [ast.Dot, 8]),
        ("ALIGNOF(.tdata)", "ALIGNOF", [".tdata"]),
        ("BLOCK(8)", "BLOCK", [8]),
        ("CONSTANT(MAXPAGESIZE)", "CONSTANT", ["MAXPAGESIZE"]),
        ("DATA_SEGMENT_ALIGN(0x1000, 0x100)", "DATA_SEGMENT_ALIGN", [0x1000, 0x100]),
        ("DATA_SEGMENT_END(.)", "DATA_SEGMENT_END", [ast.Dot]),
        ("DATA_SEGMENT_RELRO_END(0, .)", "DATA_SEGMENT_RELRO_END", [0, ast.Dot]),
        ("DEFINED(sym)", "DEFINED", ["sym"]),
        ("LENGTH(ram)", "LENGTH", ["ram"]),
        ("LOADADDR(.data)", "LOADADDR", [".data"]),
        ("LOG2CEIL(9)", "LOG2CEIL", [9]),
        ("MAX(1, 2)", "MAX", [1, 2]),
        ("MIN(1, 2)", "MIN", [1, 2]),
        ("NEXT(4)", "NEXT", [4]),
        ("ORIGIN(ram)", "ORIGIN", ["ram"]),
        ('SEGMENT_START("text-segment", 0x400000)', "SEGMENT_START", ["text-segment", 0x400000]),
        ("SIZEOF(.text)", "SIZEOF", [".text"]),
        ("SIZEOF_HEADERS", "SIZEOF_HEADERS", []),
        ('ASSERT(1, "msg")', "ASSERT", [1, "msg"]),
    ],
)
def test_builtin_functions(text, function, args):
    node = expr(text)
    assert isinstance(node, ast.Call) and node.function == function

    def simple(arg):
        if isinstance(arg, ast.Number):
            return arg.value
        if isinstance(arg, ast.Name):
            return arg.value
        return type(arg)

    assert [simple(a) for a in node.args] == args


def test_section_names_in_builtins_are_script_state_names():
    # ADDR(.data.rel.ro) and SIZEOF(.build-id) are names, not arithmetic.
    assert expr("SIZEOF(.build-id)").args[0].value == ".build-id"


# ----------------------------------------------------------------------------- include contexts


def test_include_statements_carry_their_context():
    script = parse_script(
        "INCLUDE top.ld MEMORY { INCLUDE mem.ld } SECTIONS { INCLUDE secs.ld"
        ' .text : { INCLUDE body.ld } } INCLUDE "quoted name.ld"'
    )
    top, mem, secs, quoted = script.statements
    assert (top.path, top.context) == ("top.ld", "script")
    assert (mem.regions[0].path, mem.regions[0].context) == ("mem.ld", "memory")
    inc, text = secs.statements
    assert (inc.path, inc.context) == ("secs.ld", "sections")
    assert (text.statements[0].path, text.statements[0].context) == ("body.ld", "section")
    assert (quoted.path, quoted.quoted) == ("quoted name.ld", True)


@pytest.mark.parametrize(
    ("context", "text", "kind"),
    [
        ("sections", ".data : { *(.data) } x = 1;", ast.OutputSection),
        ("section", "*(.text) LONG(1)", ast.InputSectionDescription),
        ("memory", "ram : ORIGIN = 0, LENGTH = 1M", ast.MemoryRegion),
        ("script", "ENTRY(x)", ast.Entry),
    ],
)
def test_fragments(context, text, kind):
    script = parse_fragment(text, "frag.ld", context)
    assert script.context == context
    assert isinstance(script.statements[0], kind)


def test_a_fragment_only_holds_what_its_context_allows():
    with pytest.raises(ScriptSyntaxError):
        parse_fragment(".data : { *(.data) }", "frag.ld", "script")
