"""Parse stage: a file's bytes become one Document per input item (:mod:`.documents`), decoded
without assuming UTF-8 (:mod:`.encoding`); saved and fetched feeds are split into entries
(:mod:`.feeds`), dates read (:mod:`.timestamps`) and markup fragments turned into text
(:mod:`.html_text`)."""
