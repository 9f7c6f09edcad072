"""Thin entry point: `python cli.py ...` is the same as the `voc` console script."""

from voc.cli.app import main

if __name__ == "__main__":
    main()
