"""`flask --app service documents ...`."""

from flask.cli import AppGroup

documents = AppGroup("documents", help="documents commands.")

COMMANDS = [documents]
