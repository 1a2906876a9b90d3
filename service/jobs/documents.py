"""Queue jobs: documents."""
