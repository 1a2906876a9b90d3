"""`flask --app service import PATH...`."""

COMMANDS: list = []
