"""The figures of 7.1.5 and 8.2 (cases, interviews, hours, goals, change, satisfaction,
follow-ups, the recurring 问题/需要 of 5.2), each one SQL aggregate over the records, for any
period and by worker, team and 问题属地; and the summary that gathers them."""
