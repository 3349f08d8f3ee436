"""`python -m harness` runs the sqlgate command line."""

from harness.cli import main

main()
