"""Cases and their forms: the records (models), who may see which case (access) and the 7.1
process (lifecycle, and the review cycle in workflow)."""
