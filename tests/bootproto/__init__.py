"""Tests of the boot-protocol decoders (kernlint/boot/) and their ground truth."""
