"""`python -m zhiku.api.cli` runs the `zhiku` command."""
from zhiku.api.cli import main

main()
