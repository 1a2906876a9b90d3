"""Cases and their forms: the records (models) and the 7.1 process (lifecycle)."""
