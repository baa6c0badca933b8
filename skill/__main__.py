"""Entry point for ``python -m skill``."""

from skill.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
