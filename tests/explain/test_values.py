"""Values parsed from log lines: normalised addresses and derived fields."""

from __future__ import annotations

from kernlint.explain.values import derive, detail_values, fields, fill, to_int


def test_ld_ranges_give_the_overlap_in_bytes():
    v = derive({"a_start": "00007dbe", "a_end": "00007dfd", "b_start": "7c1d", "b_end": "7dcb"})
    assert v["a_start"] == "0x7dbe" and v["b_start"] == "0x7c1d"
    assert v["overlap"] == "14"  # 0x7dbe..0x7dcb inclusive
    disjoint = derive({"a_start": "0", "a_end": "f", "b_start": "10", "b_end": "1f"})
    assert disjoint["overlap"] == "0"


def test_location_counter_distance():
    assert derive({"from": "00007e00", "to": "00007dfe"})["distance"] == "2"


def test_relocation_value_and_range():
    v = derive({"value": "18446744071562067968", "min": "0", "max": "4294967295"})
    assert v["value_hex"] == "0xffffffff80000000"
    assert v["excess"] == str(18446744071562067968 - 4294967295)
    neg = derive({"value": "-2148532234", "min": "-2147483648", "max": "2147483647"})
    assert neg["value_hex"] == "-0x8010000a" and neg["excess"] == "1048586"


def test_relocation_type_gives_field_and_code_model_fix():
    v = derive({"type": "R_X86_64_32", "section": ".text", "offset": "0x1", "symbol": "kvar"})
    assert "zero-extended" in v["width"]
    assert "-mcmodel=kernel" in v["reloc_fix"] and "below 4 GiB" in v["reloc_fix"]
    assert v["at"] == "(.text+0x1)" and v["referent"] == "symbol `kvar`"
    assert "64 KiB" in derive({"type": "R_386_16"})["reloc_fix"]
    assert derive({"type": "R_X86_64_NEW"})["width"] == "relocation field"


def test_reference_place_with_gnu_context():
    v = derive(
        {
            "object": "boot32.o",
            "function": "start32",
            "section": ".boot",
            "offset": "0x1",
            "symbol": "kvar",
            "target_section": ".data",
            "defined_in": "hhk.o",
        }
    )
    assert v["at"] == "boot32.o:(.boot+0x1) in function `start32`"
    assert v["referent"] == "symbol `kvar` (defined in .data of hhk.o)"
    assert derive({"target": ".fardata"})["referent"] == "section `.fardata`"


def test_place_and_times():
    assert derive({"file": "bs.asm", "line": "5"})["place"] == "bs.asm:5"
    assert derive({"times": "-12"})["over"] == "12"


def test_lld_detail_lines_give_ranges_by_section():
    values = {"a_section": ".rodata", "b_section": ".partition_table"}
    extra = detail_values(
        [
            ".rodata range is [0x7C1D, 0x7DCB]",
            ".partition_table range is [0x7DBE, 0x7DFD]",
            "defined in a.o",
        ],
        values,
    )
    assert derive({**values, **extra})["overlap"] == "14"
    assert extra["defined_in"] == "a.o"


def test_templates():
    assert fields("At {place}: {{literal}} {section}") == {"place", "section"}
    assert fill("{a} and {b}", {"a": "x"}) == "x and ?"
    assert to_int("0x10") == 16 and to_int("7dbe", hex_default=True) == 0x7DBE
    assert to_int("zz") is None
