"""newsbeam's pipeline stages, one module each, in data-flow order.

parse -> extract (with clean_text) -> dedup -> tag -> partition; the readers
before and the Parquet writers after live in :mod:`pipeline`.
"""
