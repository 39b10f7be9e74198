"""`python -m shelfspace` is the `shelfspace` command."""

from shelfspace.cli import app

app(prog_name="shelfspace")
