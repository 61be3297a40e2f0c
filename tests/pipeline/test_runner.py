"""A run never downloads anything: Beam 2.77's DirectRunner would fetch the Prism binary first."""
import subprocess
import sys
import textwrap

from tests.conftest import SAMPLES

# Installed in the child process: records every attempt to open a URL or reach a
# non-loopback address. Beam catches the error the guard raises and falls back,
# so the record, not the exit status, is what tells.
GUARD = textwrap.dedent("""
    import os, sys
    LOG = os.environ["NETWORK_LOG"]
    def hook(event, args):
        target = None
        if event == "urllib.Request":
            target = args[0]
        elif event in ("socket.connect", "socket.getaddrinfo"):
            host = args[1][0] if event == "socket.connect" and isinstance(args[1], tuple) else args[0]
            if isinstance(host, (bytes, bytearray)):
                host = host.decode()
            if isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1", "")) \\
                    and not host.startswith("/"):
                target = host
        if target:
            with open(LOG, "a") as handle:
                handle.write(f"{event} {target}\\n")
            raise RuntimeError(f"network access refused in tests: {target}")
    sys.addaudithook(hook)
""")


def _run_guarded(tmp_path, code):
    (tmp_path / "sitecustomize.py").write_text(GUARD)
    log = tmp_path / "network.log"
    env = {"PYTHONPATH": str(tmp_path), "NETWORK_LOG": str(log), "HOME": str(tmp_path / "home"),
           "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    attempts = log.read_text() if log.exists() else ""
    return result, attempts


def test_guard_sees_the_default_direct_runner_reach_for_prism(tmp_path):
    # The control: proves the guard can see what the next test says does not happen.
    code = "import apache_beam as beam\nwith beam.Pipeline() as p: p | beam.Create([1]) | beam.Map(str)"
    _, attempts = _run_guarded(tmp_path, code)
    assert "prism" in attempts.lower()


def test_newsbeam_run_never_tries_to_download(tmp_path):
    code = (f"import sys; from newsbeam.pipeline.cli import main; "
            f"sys.exit(main(['run', '--input', '{SAMPLES}/**', '--output', '{tmp_path}/out']))")
    result, attempts = _run_guarded(tmp_path, code)
    assert result.returncode == 0, result.stderr[-2000:]
    assert attempts == ""
    assert "Prism" not in result.stderr
    assert not (tmp_path / "home" / ".apache_beam").exists()
