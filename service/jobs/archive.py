"""Queue jobs: archive."""
