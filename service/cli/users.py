"""`flask --app service users ...`."""

from flask.cli import AppGroup

users = AppGroup("users", help="users commands.")

COMMANDS = [users]
