"""People (users, roles, teams, API tokens), what people did to a case (handovers, 8.6 flags,
review steps) and the hash-chained audit trail. Below ``cases``: it never imports it."""
