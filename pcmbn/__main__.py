"""`python -m pcmbn` is the same as the `pcmbn` command."""

from pcmbn.cli import main

main()
