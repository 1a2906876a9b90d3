"""Queue jobs: imports."""
