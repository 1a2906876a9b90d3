"""`flask --app service archive ...`."""

from flask.cli import AppGroup

archive = AppGroup("archive", help="archive commands.")

COMMANDS = [archive]
