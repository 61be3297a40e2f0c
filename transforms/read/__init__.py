"""Read stage: where items come from. Input globs become files' bytes (:mod:`.files`); live feeds
are fetched, conditionally and politely, and their entries followed to their pages
(:mod:`.feeds`, over the guarded HTTP client of :mod:`.fetcher`, with the conditional-GET
validators of :mod:`.feed_state`). New sources go here."""
