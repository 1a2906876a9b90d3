"""The archive engine: files a closed case's copies into a classified, graded tree
(policy), keeps them whole and checkable (filing, fixity), binds printed bundles (bundle)
and packs transfers (export). Takes plain facts about a case, never the database."""
