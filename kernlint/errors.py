"""Errors kernlint reports instead of tracebacks."""


class InputError(Exception):
    """An input file cannot be read or is malformed (rule KL001).

    ``path`` is the file as named by the user; ``message`` says what is wrong in one
    line, without the path (the report adds it).
    """

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


class UsageError(Exception):
    """The command line or configuration is wrong (exit status 2)."""
