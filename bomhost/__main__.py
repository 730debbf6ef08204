"""Allow `python -m bomhost`."""

from bomhost.cli import main

main()
