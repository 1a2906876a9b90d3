"""7.1.5 成效评估 declared as data: the scale on which a case's change is rated, the places
(问题属地, 7.1.1) an agency serves and when follow-ups fall due. Plain data and pure functions,
like the annexes; nothing here reads the database or a request."""
