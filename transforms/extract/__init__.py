"""Extract stage: every Document becomes one clean article or one error row (:mod:`.articles`):
pages through trafilatura under a time limit (:mod:`.page_extractor`), text dumps through the
furniture rules of :mod:`.clean_text`, with stable identities (:mod:`.ids`) and the language
(:mod:`.language`)."""
