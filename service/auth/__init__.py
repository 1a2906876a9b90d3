"""People, roles, who may see which case, and the audit trail."""
