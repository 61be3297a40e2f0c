"""The pipeline, stage by stage: read -> parse -> extract -> dedup -> tag -> partition -> write."""
from __future__ import annotations

import apache_beam as beam

from pipeline.readers import ReadInputFiles
from pipeline.writers import WritePartitionedParquet
from transforms.dedup import DUPLICATES, ExactDedup
from transforms.extract import ExtractArticles, ExtractSettings
from transforms.parse import ParseDocuments
from transforms.partition import ARTICLES, ERRORS, KeyByPartition
from transforms.records import InputFile, RunContext
from transforms.tag import TagMentions


class IngestNews(beam.PTransform):
    """Input files in; the committed Parquet files' records out.

    Every input item leaves as exactly one row: an article, a duplicate or an
    error (the stages' error outputs are flattened into one errors table).
    """

    def __init__(self, inputs: list[InputFile], output: str, run: RunContext, lexicon: dict,
                 settings: ExtractSettings, max_input_bytes: int):
        super().__init__()
        self._inputs = inputs
        self._output = output
        self._run = run
        self._lexicon = lexicon
        self._settings = settings
        self._max_input_bytes = max_input_bytes

    def expand(self, pbegin):
        run = self._run
        read = pbegin | "Read" >> ReadInputFiles(self._inputs, self._max_input_bytes)
        parsed = read.files | "Parse" >> ParseDocuments()
        extracted = parsed.documents | "Extract" >> ExtractArticles(run, self._settings)
        deduped = extracted.articles | "Dedup" >> ExactDedup()
        tagged = deduped["articles"] | "Tag" >> TagMentions(self._lexicon)
        errors = (read.errors, parsed.errors, extracted.errors) | "AllErrors" >> beam.Flatten()
        keyed = (
            tagged | "PartitionArticles" >> KeyByPartition(ARTICLES, run),
            deduped[DUPLICATES] | "PartitionDuplicates" >> KeyByPartition(DUPLICATES, run),
            errors | "PartitionErrors" >> KeyByPartition(ERRORS, run),
        ) | "AllRows" >> beam.Flatten()
        return keyed | "Write" >> WritePartitionedParquet(self._output, run)
