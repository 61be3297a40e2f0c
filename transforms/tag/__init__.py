"""Tag stage: mentions of NATO, Ukraine and related entities, co-mention sentences and topics
(:mod:`.mentions`), from the lexicon of ``configs/lexicon.yaml`` (:mod:`.lexicon`), found fast
through a trie of literal prefixes (:mod:`.prefixes`)."""
