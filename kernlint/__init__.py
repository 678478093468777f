"""kernlint: a static analyser and linter for kernel binaries, boot images and GNU ld scripts."""

__version__ = "0.1.0"
