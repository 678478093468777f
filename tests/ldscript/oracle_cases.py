"""Scripts whose fate under GNU ld 2.40 is recorded: does ld's parser accept them?

Each case is ``(id, script, parses)``. ``test_ld_oracle.py`` asserts kernlint agrees
on every case and, where GNU ld is installed, re-checks ld itself, so the table
cannot drift from the oracle. "Parses" means ld reports no syntax error; a link may
still fail later (missing input files, undefined symbols), which is not a syntax
error. ``TEXT`` is a minimal output section the cases append or embed.
"""

TEXT = ".text : { *(.text) }"

CASES: list[tuple[str, str, bool]] = [
    # ---- lexing: numbers
    ("octal", f"SECTIONS {{ {TEXT} v = 010; }}", True),
    ("hex-suffix-word", f"SECTIONS {{ {TEXT} v = dead + bad + cab; }}", True),
    ("radix-suffixes", f"SECTIONS {{ {TEXT} v = 10h + 101b + 17o + 99d + 10x + 0FFh; }}", True),
    ("dollar-hex", f"SECTIONS {{ {TEXT} v = $10 + $10K; }}", True),
    ("k-m-multipliers", f"SECTIONS {{ {TEXT} v = 4K + 4k + 1M + 0x10K; }}", True),
    ("0b-prefix-rejected", f"SECTIONS {{ {TEXT} v = 0b101; }}", False),
    ("hex-then-suffix-rejected", f"SECTIONS {{ {TEXT} v = 0x1dh; }}", False),
    ("dollar-name", f"SECTIONS {{ {TEXT} $1K2 = 7; v = $1K2; }}", True),
    ("extern-hex-word-rejected", f"EXTERN(dead) SECTIONS {{ {TEXT} }}", False),
    # ---- lexing: names and operators
    ("slash-in-expression-name", f"SECTIONS {{ {TEXT} x = 3; y = x/2; }}", True),
    ("minus-splits-expression-names", f"SECTIONS {{ {TEXT} a = 2; b = 1; v = a-b; }}", True),
    ("xor-is-not-an-operator", f"SECTIONS {{ {TEXT} x = 1 ^ 2; }}", False),
    ("assignment-needs-spaces-sections", f"SECTIONS {{ a=1; {TEXT} }}", False),
    ("assignment-needs-spaces-top", f"a=1; SECTIONS {{ {TEXT} }}", False),
    ("dot-assignment-needs-spaces", f"SECTIONS {{ .=0x1000; {TEXT} }}", False),
    ("provide-needs-spaces", f"SECTIONS {{ {TEXT} PROVIDE(foo=.); }}", False),
    ("provide-with-spaces", f"SECTIONS {{ {TEXT} PROVIDE(foo = .); }}", True),
    # `b=2;` inside an output section is a file name, then an empty statement.
    ("wild-assignment-is-a-file-name", "SECTIONS { .text : { *(.text) b=2; } }", True),
    ("comma-in-section-list", "SECTIONS { .foo : { *(.text, .data) } }", True),
    ("lone-comma-in-section-list", "SECTIONS { .foo : { *(.text , .data) } }", True),
    ("comment-after-section-name", "SECTIONS { .text/*c*/ : { *(.text) } }", False),
    ("comment-after-file-name", "SECTIONS { .text : { *(.text) foo/*c*/ } }", True),
    ("hash-comment", f"# comment\nSECTIONS {{ {TEXT} }} # trailing", True),
    ("double-slash-comment", f"// comment\nSECTIONS {{ {TEXT} }}", False),
    ("quoted-names", 'SECTIONS { ".text" : { *(".text") } "sym" = 1; v = "sym"; }', True),
    (
        "phdr-names-with-colon",
        "PHDRS { text PT_LOAD; } SECTIONS { .text : { *(.text) }:text }",
        True,
    ),
    # The word after an output section name is read in SCRIPT state (ld's parser has
    # not yet told a section from an assignment): `BASE+4` is one symbol there, and
    # INFO is no keyword. ld then fails on the undefined symbol, not on syntax.
    ("section-address-script-word", f"SECTIONS {{ .data BASE+4 : {{ }} {TEXT} }}", True),
    ("section-address-expression-keyword", f"SECTIONS {{ .data INFO : {{ }} {TEXT} }}", True),
    # ---- reserved words
    ("keyword-in-expression", f"SECTIONS {{ {TEXT} v = INFO; }}", False),
    (
        "script-keyword-is-a-name-in-expressions",
        f"SECTIONS {{ {TEXT} SECTIONS_v = 1; v = ENTRY; }}",
        True,
    ),
    ("l-is-a-keyword-in-script-state", f"SECTIONS {{ {TEXT} l = 1; }}", False),
    ("l-is-a-name-in-expressions", f"SECTIONS {{ {TEXT} v = l; }}", True),
    ("entry-keyword-argument", f"ENTRY(l) SECTIONS {{ {TEXT} }}", False),
    ("constructors-in-section-list", "SECTIONS { .text : { *(CONSTRUCTORS) } }", False),
    ("quoted-keyword-is-a-name", f'SECTIONS {{ {TEXT} "INFO" = 1; v = "INFO"; }}', True),
    # ---- statements
    (
        "assert-in-section-needs-separator",
        'SECTIONS { .text : { *(.text) ASSERT(1, "x") } }',
        False,
    ),
    ("assert-in-section", 'SECTIONS { .text : { *(.text) ASSERT(1, "x"); } }', True),
    ("assert-in-sections", f'SECTIONS {{ ASSERT(1, "x") {TEXT} }}', True),
    ("assert-semicolon-in-sections", f'SECTIONS {{ ASSERT(1, "x"); {TEXT} }}', False),
    ("assert-top-level", f'ASSERT(1, "x"); SECTIONS {{ {TEXT} }}', True),
    ("assert-sink", f'SECTIONS {{ {TEXT} . = ASSERT(1, "x"); }}', True),
    ("semicolon-after-section", f"SECTIONS {{ {TEXT}; }}", False),
    ("comma-after-section", f"SECTIONS {{ {TEXT}, }}", True),
    (
        "readonly-type",
        "SECTIONS { .text : { *(.text) } .x (READONLY (TYPE = SHT_PROGBITS)) : { *(.x) } }",
        True,
    ),
    (
        "type-and-readonly",
        "SECTIONS { .x (TYPE = SHT_PROGBITS) : { *(.x) } .y (READONLY) : { *(.y) } }",
        True,
    ),
    (
        "section-types",
        "SECTIONS { .a (NOLOAD) : { *(.a) } .b (COPY) : { *(.b) } .c (INFO) : { *(.c) }"
        " .d (DSECT) : { *(.d) } .e (OVERLAY) : { *(.e) } .f () : { *(.f) } }",
        True,
    ),
    (
        "section-attributes",
        "SECTIONS { .text 0x1000 (NOLOAD) : AT(0x2000) ALIGN(16) SUBALIGN(4) ONLY_IF_RO"
        " { *(.text) } .d : ALIGN_WITH_INPUT { *(.data) } }",
        True,
    ),
    ("align-before-at-rejected", "SECTIONS { .text : ALIGN(16) AT(0x2000) { *(.text) } }", False),
    (
        "regions-and-fill",
        "MEMORY { ram (rwx) : ORIGIN = 0, LENGTH = 1M rom (rx!w) : org = 0x100000, len = 64K }"
        " SECTIONS { .text : { *(.text) } >ram AT>rom =0x90909090 /DISCARD/ : { *(.c) } }",
        True,
    ),
    (
        "memory-abbreviations-after-comma",
        f"MEMORY {{ x (!rw) : o = 0x200000, l = 4K }} SECTIONS {{ {TEXT} }}",
        True,
    ),
    (
        "memory-l-without-comma",
        f"MEMORY {{ x (rw) : o = 0x200000 l = 4K }} SECTIONS {{ {TEXT} }}",
        False,
    ),
    (
        "memory-length-without-comma",
        f"MEMORY {{ x (rw) : ORIGIN = 0x200000 LENGTH = 4K }} SECTIONS {{ {TEXT} }}",
        True,
    ),
    (
        "memory-origin-needs-spaces",
        f"MEMORY {{ ram (rwx) : ORIGIN=0x1000, LENGTH=4K }} SECTIONS {{ {TEXT} }}",
        False,
    ),
    (
        "memory-defined-ternary",
        f"MEMORY {{ ram : ORIGIN = DEFINED(b) ? b : 0x1000, LENGTH = 4K }} SECTIONS {{ {TEXT} }}",
        True,
    ),
    (
        "phdrs",
        "PHDRS { headers PT_PHDR PHDRS; text PT_LOAD FILEHDR PHDRS FLAGS(1 | 4);"
        " data PT_LOAD AT(0x1000) FLAGS(6); tls PT_TLS; num 0x65a3dbe6; }"
        " SECTIONS { .text : { *(.text) } :text .data : { *(.data) } :data :tls }",
        True,
    ),
    (
        "phdrs-unknown-qualifier",
        "PHDRS { text PT_LOAD FOO(5); } SECTIONS { .text : { *(.text) } :text }",
        False,
    ),
    (
        "phdrs-unknown-type",
        "PHDRS { text PT_BOGUS; } SECTIONS { .text : { *(.text) } :text }",
        False,
    ),
    (
        "phdrs-after-sections",
        "SECTIONS { .text : { *(.text) } :text } PHDRS { text PT_LOAD; }",
        True,
    ),
    (
        "input-section-forms",
        "SECTIONS { .text : { KEEP(*(.init)) *(EXCLUDE_FILE(*a.o b.o) .text .rdata)"
        " EXCLUDE_FILE(*c.o) *(.x) archive.a:member.o(.y) file.o(.z) file.o [ .w .v ]"
        " INPUT_SECTION_FLAGS(SHF_ALLOC & !SHF_WRITE) *(.u)"
        " KEEP(INPUT_SECTION_FLAGS(SHF_ALLOC) *(.t)) } }",
        True,
    ),
    (
        "sorting",
        "SECTIONS { .text : { *(SORT(.a.*)) *(SORT_BY_NAME(SORT_BY_ALIGNMENT(.b.*)))"
        " *(SORT_BY_ALIGNMENT(SORT_BY_NAME(.c.*))) *(SORT_BY_INIT_PRIORITY(.d.*))"
        " *(SORT_NONE(.e)) SORT(*)(.f) SORT_NONE(*)(.g) *(SORT(EXCLUDE_FILE(x.o) .h)) } }",
        True,
    ),
    (
        "sort-alignment-on-file-rejected",
        "SECTIONS { .text : { SORT_BY_ALIGNMENT(*)(.text) } }",
        False,
    ),
    (
        "sort-init-priority-nested-rejected",
        "SECTIONS { .t : { *(SORT_BY_NAME(SORT_BY_INIT_PRIORITY(.a))) } }",
        False,
    ),
    (
        "output-section-data",
        "SECTIONS { .text : { *(.text) BYTE(1) SHORT(2) LONG(3) QUAD(4) SQUAD(-5) FILL(0x90)"
        " CREATE_OBJECT_SYMBOLS CONSTRUCTORS SORT(CONSTRUCTORS) ; ; } }",
        True,
    ),
    (
        "assignment-operators",
        f"SECTIONS {{ {TEXT} a = 1; a += 1; a -= 1; a *= 2; a /= 2; a <<= 1; a >>= 1;"
        " a &= 3; a |= 4; HIDDEN(h = 1); PROVIDE(p = 1); PROVIDE_HIDDEN(q = 1); }",
        True,
    ),
    (
        "builtin-functions",
        f"SECTIONS {{ {TEXT} v = ABSOLUTE(.) + ADDR(.text) + ALIGN(8) + ALIGN(., 8)"
        " + ALIGNOF(.text)"
        " + BLOCK(8) + CONSTANT(MAXPAGESIZE) + CONSTANT(COMMONPAGESIZE) + DEFINED(v) + LENGTH(ram)"
        " + LOADADDR(.text) + LOG2CEIL(9) + MAX(1, 2) + MIN(1, 2) + NEXT(4) + ORIGIN(ram)"
        ' + SEGMENT_START("text-segment", 0x400000) + SIZEOF(.text) + SIZEOF_HEADERS; }'
        " MEMORY { ram : ORIGIN = 0, LENGTH = 1M }",
        True,
    ),
    (
        "data-segment",
        "SECTIONS { .text : { *(.text) } . = DATA_SEGMENT_ALIGN(0x1000, 0x100);"
        " .data : { *(.data) } . = DATA_SEGMENT_RELRO_END(0, .); . = DATA_SEGMENT_END(.); }",
        True,
    ),
    (
        "ternary-and-precedence",
        f"SECTIONS {{ {TEXT} v = 1 + 2 * 3 << 1 | 4 & 5 == 5 && !0 || ~0 ? 1 : 0 ? 2 : 3; }}",
        True,
    ),
    (
        "overlay",
        "SECTIONS { OVERLAY 0x1000 : NOCROSSREFS AT(0x4000) { .ov1 { *(.ov1) } :text"
        " .ov2 { *(.ov2) } } > ram :text = 0 .text : { *(.text) } }"
        " MEMORY { ram : ORIGIN = 0, LENGTH = 1M } PHDRS { text PT_LOAD; }",
        True,
    ),
    (
        "overlay-without-start",
        "SECTIONS { OVERLAY : { .a { *(.a) } .b { *(.b) } } .text : { *(.text) } }",
        True,
    ),
    (
        "commands",
        'OUTPUT_FORMAT("elf64-x86-64", "elf64-x86-64", "elf64-x86-64") OUTPUT_ARCH(i386:x86-64)'
        ' TARGET(elf64-x86-64) SEARCH_DIR(/tmp) SEARCH_DIR("=/tmp") ENTRY(_start) EXTERN(a b, c)'
        " FORCE_COMMON_ALLOCATION INHIBIT_COMMON_ALLOCATION FORCE_GROUP_ALLOCATION"
        ' NOCROSSREFS(.text .data) NOCROSSREFS_TO(.text, .data) LD_FEATURE("SANE_EXPR")'
        f" SECTIONS {{ {TEXT} }}",
        True,
    ),
    (
        "output-format-glued-commas",
        f"OUTPUT_FORMAT(elf64-x86-64, elf64-x86-64, elf64-x86-64) SECTIONS {{ {TEXT} }}",
        False,
    ),
    (
        "output-format-spaced-commas",
        f"OUTPUT_FORMAT(elf64-x86-64 , elf64-x86-64 , elf64-x86-64) SECTIONS {{ {TEXT} }}",
        True,
    ),
    (
        "region-alias-glued-comma",
        f"MEMORY {{ ram : ORIGIN = 0, LENGTH = 1M }} REGION_ALIAS(x, ram) SECTIONS {{ {TEXT} }}",
        False,
    ),
    ("insert-after", f"SECTIONS {{ {TEXT} }} INSERT AFTER .data", True),
    (
        "input-and-group",
        f"INPUT(u.o , v.o) GROUP(w.o AS_NEEDED(x.o -lm)) SECTIONS {{ {TEXT} }}",
        True,
    ),
    (
        "region-alias",
        'MEMORY { ram : ORIGIN = 0, LENGTH = 1M } REGION_ALIAS("alias", ram)'
        f" SECTIONS {{ {TEXT} }}",
        True,
    ),
    (
        "version",
        "VERSION { V1 { global: foo; bar*; local: *; }; V2 { baz; } V1; }"
        f" SECTIONS {{ {TEXT} }}",
        True,
    ),
    (
        "version-extern-cxx",
        f'VERSION {{ {{ global: extern "C++" {{ ns::*; }}; local: *; }}; }} SECTIONS {{ {TEXT} }}',
        True,
    ),
    # ---- mistakes
    ("missing-semicolon", "SECTIONS {\n  . = 0x100000\n  .text : { *(.text) }\n}\n", False),
    (
        "unclosed-output-section",
        "SECTIONS {\n  .text : { *(.text)\n  .data : { *(.data) }\n}\n",
        False,
    ),
    ("eof-in-output-section", "SECTIONS {\n  .text : { *(.text) ", False),
    ("stray-closing-brace", "SECTIONS { .text : { *(.text) } }\n}\n", False),
    ("missing-colon", "SECTIONS { .text { *(.text) } }", False),
    ("unclosed-keep", "SECTIONS { .text : { KEEP(*(.text) } }", False),
    ("unterminated-comment", "SECTIONS { /* oops \n .text : { *(.text) } }", False),
    ("empty-script", "", True),
]
