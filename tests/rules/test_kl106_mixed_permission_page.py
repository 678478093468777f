from kernlint.classify import classify
from kernlint.config import Config
from kernlint.engine import build_context, check_context, select_rules
from tests.conftest import findings_of, sample


def test_three_segments_in_one_page_give_three_pairs():
    found = findings_of(sample("kl106", "bad-shared-page.elf"), "KL106")
    assert len(found) == 3
    assert all("0x100000" in f.message for f in found)


def test_lld_nmagic():
    assert findings_of(sample("kl106", "bad-lld-nmagic.elf"), "KL106")


def test_page_size_comes_from_config():
    """With 16-byte 'pages' the segments of the broken sample no longer share one."""
    path = sample("kl106", "bad-shared-page.elf")
    ctx = build_context(classify(str(path)), Config(page_size=16))
    found = list(check_context(ctx, select_rules(["KL106"])))
    ctx.image.reader.close()
    assert len(found) < 3


def test_fixed_twin():
    assert findings_of(sample("kl106", "good-split.elf"), "KL106") == []
