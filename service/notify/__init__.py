"""8.6 notices: who is told when a case is flagged, their in-app inbox, and the e-mail.

Above the records (cases, auth), below the pages and the API: the review cycle and the 8.6
flag call it; no engine does. ``models`` holds the inbox and the reports made outside the
service, ``notices`` creates and reads notices, ``mail`` writes a notice as an e-mail (sent
by the queue, ``jobs.notices``), ``texts`` says each kind of notice in the reader's language.
"""
