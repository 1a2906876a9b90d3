"""`flask --app service audit ...`."""

from flask.cli import AppGroup

audit = AppGroup("audit", help="audit commands.")

COMMANDS = [audit]
