"""`flask --app service forms ...`."""

from flask.cli import AppGroup

forms = AppGroup("forms", help="The annex forms: schema, example, render.")

COMMANDS = [forms]
