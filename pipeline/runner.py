"""Which Beam runner executes the pipeline.

Beam 2.77's DirectRunner first tries the Prism runner, whose binary it
downloads from the internet on first use; on a machine without network (a CI
box, an air-gapped cluster, a locked-down container) that attempt fails or
hangs before Beam falls back. For the DirectRunner we therefore go straight to
the runner it falls back to, Beam's in-process FnApiRunner, which honours
``--direct_num_workers`` and ``--direct_running_mode``. Any other runner name
(DataflowRunner, FlinkRunner, SparkRunner, an explicit PrismRunner) is passed
to Beam untouched.
"""
from __future__ import annotations

import re

from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

DIRECT_NAMES = {"directrunner", "direct", "switchingdirectrunner"}
# A runner is a name Beam knows ('DataflowRunner', 'flink') or a dotted class path.
_RUNNER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")


def check_runner(name: object) -> str:
    """``name`` if it can name a Beam runner; ValueError (naming the option) otherwise, so a
    path such as '../../x' is refused before anything runs instead of failing at run time."""
    if not isinstance(name, str) or not _RUNNER.match(name):
        raise ValueError(f"'runner' must be a runner name such as DirectRunner, DataflowRunner, FlinkRunner "
                         f"or a dotted class path, not {str(name)[:80]!r}")
    return name


def is_direct(options: PipelineOptions) -> bool:
    name = options.view_as(StandardOptions).runner
    if name is not None:
        check_runner(name)
    return name is None or str(name).lower() in DIRECT_NAMES


def make_runner(options: PipelineOptions):
    """A runner instance for the DirectRunner case, else None (Beam resolves the name)."""
    if not is_direct(options):
        return None
    from apache_beam.portability.api import beam_provision_api_pb2
    from apache_beam.runners.portability.fn_api_runner import fn_runner
    from apache_beam.runners.portability.portable_runner import JobServiceHandle

    # The same provision info the DirectRunner gives its FnApiRunner, so that
    # multi-process workers see the pipeline options.
    encoded = JobServiceHandle.encode_pipeline_options(options.get_all_options())
    info = fn_runner.ExtendedProvisionInfo(beam_provision_api_pb2.ProvisionInfo(pipeline_options=encoded))
    return fn_runner.FnApiRunner(provision_info=info)


def runner_name(options: PipelineOptions) -> str:
    return "DirectRunner (FnApiRunner)" if is_direct(options) else str(options.view_as(StandardOptions).runner)
