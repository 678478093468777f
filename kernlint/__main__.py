"""``python -m kernlint``: the same entry point as the ``kernlint`` console script."""

from kernlint.cli import main

if __name__ == "__main__":
    main()
