"""Queue jobs of the archive: filing a closed case, later versions, re-grading moves, bundles.

The documents jobs call :func:`.filing.on_documents_ready` once a version's copies are made. A
case that is closed or transferred (its Annex D submitted) is filed (归档) as soon as every
current copy is ready; later versions of an archived case are filed beside the old files, which
stay. One module per concern, each importing only those listed before it:

- :mod:`.settings`: the checked policy, the archive and work folders, :class:`ArchiveError`;
- :mod:`.facts`: what a case's records say for the archive (facts, 件 order, titles, copies);
- :mod:`.lookup`: finding case files, the recorded tree, the fixity check;
- :mod:`.filing`: filing a closed case and each later version;
- :mod:`.regrading`: moving a case file when its class, grade or retention changed;
- :mod:`.bundles`: binding case files into print files;
- :mod:`.tasks`: the queue tasks (bundle requests, filing from the queue).
"""
