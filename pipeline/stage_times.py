"""Time per pipeline stage, from the execution time Beam's workers measure per transform.

Every SDK worker samples which transform it is executing and reports the
milliseconds per transform (``beam:metric:ptransform_execution_time:total_msecs``).
Summed by the stage a transform belongs to, they say where a run's time went,
including on several workers, where the numbers add up across workers like CPU time.
Runners that do not hand these metrics back to the job (some remote ones) give {}.
"""
from __future__ import annotations

from apache_beam.metrics import monitoring_infos

STAGE_ORDER = ("read", "fetch", "parse", "extract", "history", "dedup", "tag", "write")
# The IngestNews step each top-level transform is named by -> the stage it belongs to.
_STAGE_OF_STEP = {
    "Read": "read", "ReadFeeds": "fetch", "FeedLog": "fetch", "Parse": "parse", "Extract": "extract",
    "ReadHistory": "history", "Dedup": "dedup", "Tag": "tag", "PartitionArticles": "write",
    "PartitionDuplicates": "write", "PartitionErrors": "write", "Write": "write",
    "ReadCcNews": "read", "CcNewsLog": "read", "OnlyDomains": "parse", "PublishedWindow": "extract",
}


def stage_of(transform: str) -> str | None:
    """'IngestNews/Extract/ExtractText' -> 'extract'; None for Beam's own and unknown transforms."""
    parts = transform.split("/")
    return _STAGE_OF_STEP.get(parts[1]) if len(parts) > 1 and parts[0] == "IngestNews" else None


def stage_seconds(result) -> dict[str, float]:
    """{stage: seconds} in pipeline order, or {} when the runner does not report execution times."""
    infos = getattr(result, "monitoring_infos", None)
    if infos is None:
        return {}
    millis: dict[str, int] = {}
    for info in infos():
        if info.urn != monitoring_infos.TOTAL_MSECS_URN:
            continue
        stage = stage_of(info.labels.get(monitoring_infos.PTRANSFORM_LABEL, ""))
        if stage is not None:
            millis[stage] = millis.get(stage, 0) + monitoring_infos.extract_counter_value(info)
    return {stage: round(millis[stage] / 1000, 3) for stage in STAGE_ORDER if stage in millis}
