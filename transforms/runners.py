"""What kind of runner a pipeline is built for, for the few transforms that are built differently
on a local runner (Beam's in-process FnApiRunner and the DirectRunners) than on a distributed one."""
from __future__ import annotations

import apache_beam as beam


def runs_locally(pipeline: beam.Pipeline) -> bool:
    """Whether ``pipeline`` runs on this machine: its workers share this machine's cores and memory,
    and a PCollection between two fused stages is held whole in this process's memory."""
    from apache_beam.runners.direct.direct_runner import BundleBasedDirectRunner, SwitchingDirectRunner
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner

    return isinstance(pipeline.runner, (FnApiRunner, SwitchingDirectRunner, BundleBasedDirectRunner))
