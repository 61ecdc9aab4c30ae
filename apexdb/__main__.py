"""``python -m apexdb``."""
from apexdb.cli.app import main

main()
