"""Helpers shared by kernlint's test suites (fixture fetching, independent oracles)."""
