"""`flask --app service demo ...`."""

from flask.cli import AppGroup

demo = AppGroup("demo", help="demo commands.")

COMMANDS = [demo]
