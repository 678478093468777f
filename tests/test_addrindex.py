"""AddressIndex against a brute-force scan, on random overlapping ranges."""

import random

from kernlint.addrindex import AddressIndex


def test_matches_a_linear_scan():
    rng = random.Random(7)
    for _ in range(200):
        ranges = []
        for i in range(rng.randrange(0, 30)):
            start = rng.randrange(0, 1000)
            ranges.append((start, start + rng.randrange(0, 200), i))
        index = AddressIndex(ranges)
        for addr in range(-5, 1300, 7):
            want = sorted(
                ((s, e, i) for s, e, i in ranges if s <= addr < e), key=lambda r: (r[0], r[1])
            )
            assert [i for _, _, i in want] == index.containing(addr)
            lo, hi = addr, addr + rng.randrange(1, 50)
            assert index.covers(lo, hi) == any(s <= lo and hi <= e for s, e, _ in ranges)
