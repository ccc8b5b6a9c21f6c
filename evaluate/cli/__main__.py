"""`python -m ittifaq.evaluate.cli`: the `ittifaq` command."""

from ittifaq.evaluate.cli import main

main()
