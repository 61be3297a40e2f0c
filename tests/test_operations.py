"""Running it for real: the image, the scheduling examples, logs, stats and config checks."""
from __future__ import annotations

import ast
import json
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from newsbeam.pipeline.cli import build_parser, main
from newsbeam.pipeline.config import read_config_file
from tests.conftest import ROOT, SAMPLES, run_newsbeam
from tests.support.s3 import s3_server
from tests.support.site import Site, rss

NEWSBEAM = str(Path(sys.executable).with_name("newsbeam"))
EXAMPLES = ROOT / "examples"


def assert_valid_command(argv: list[str]) -> None:
    """A newsbeam command line as the examples write it: a known command, only known flags."""
    args, rest = build_parser().parse_known_args(argv)
    assert args.command in ("run", "stats", "validate", "report"), argv
    assert all(not r.startswith("--") or r.split("=")[0] in ("--runner", "--direct_num_workers") for r in rest), rest


def dockerfile_entrypoint() -> list[str]:
    (entrypoint,) = re.findall(r"^ENTRYPOINT (\[.*\])$", (ROOT / "Dockerfile").read_text(), re.M)
    return json.loads(entrypoint)


def test_dockerfile_lints_clean_and_matches_the_package():
    hadolint = Path(sys.executable).with_name("hadolint")
    result = subprocess.run([str(hadolint), str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    dockerfile = (ROOT / "Dockerfile").read_text()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    # tini is PID 1 (signals, children); the entrypoint module checks the output folder, then runs newsbeam
    assert dockerfile_entrypoint() == ["/usr/bin/tini", "--", "python", "-m", "newsbeam.pipeline.entrypoint"]
    assert re.search(r"apt-get install -y --no-install-recommends tini=", dockerfile)
    assert "newsbeam" in project["scripts"]
    assert re.search(r"^USER 10001:10001$", dockerfile, re.M)  # not root
    kept = {line[1:].rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()
            if line.startswith("!")}
    assert "*" in (ROOT / ".dockerignore").read_text().splitlines()  # the context is only what is let in
    for source in re.findall(r"^COPY (\S+(?: \S+)*) \S+$", dockerfile, re.M):
        for path in source.split():
            assert (ROOT / path).exists() and path in kept, path
    assert set(project["dependencies"]) and "requirements.lock" in dockerfile
    read_config_file(str(ROOT / "configs" / "default.yaml"))  # the config the image ships is valid


def test_the_image_has_one_tag_everywhere():
    """The Dockerfile's build line, the Kubernetes CronJob and the Airflow DAG name one image."""
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    tag = f"newsbeam:{version}"
    built = re.findall(r"docker build -t (\S+)", (ROOT / "Dockerfile").read_text())
    run = re.findall(r"docker run .*?(newsbeam\S*) run", (ROOT / "Dockerfile").read_text().replace("\\\n", " "))
    job = yaml.safe_load((EXAMPLES / "kubernetes-cronjob.yaml").read_text())
    (container,) = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    dag = re.findall(r'image="([^"]+)"', (EXAMPLES / "airflow_dag.py").read_text())
    assert set(built + run + dag + [container["image"]]) == {tag} and len(dag) == 2 and built and run


def test_crontab_example_uses_flock_and_real_commands():
    lines = [line for line in (EXAMPLES / "crontab").read_text().splitlines() if line and not line.startswith("#")]
    assert lines and all(len(line.split(None, 5)) == 6 for line in lines)  # five time fields and a command
    for line in lines:
        command = shlex.split(line.split(None, 5)[5].split(">>")[0])
        position = next(i for i, word in enumerate(command) if word.endswith("/newsbeam"))
        assert_valid_command(command[position + 1:])
    assert "flock -n" in lines[0]


def test_kubernetes_cronjob_never_overlaps_and_runs_a_real_command():
    job = yaml.safe_load((EXAMPLES / "kubernetes-cronjob.yaml").read_text())
    assert job["kind"] == "CronJob" and job["spec"]["concurrencyPolicy"] == "Forbid"
    pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    security = pod["securityContext"]
    assert security["runAsNonRoot"] is True
    # the volume is made writable for the image's user: group 10001, fsGroup on the volume
    assert security["runAsUser"] == security["runAsGroup"] == security["fsGroup"] == 10001
    (container,) = pod["containers"]
    assert_valid_command(container["args"])


def test_airflow_dag_parses_and_runs_real_commands():
    tree = ast.parse((EXAMPLES / "airflow_dag.py").read_text())
    commands = [ast.literal_eval(keyword.value) for node in ast.walk(tree) if isinstance(node, ast.Call)
                for keyword in node.keywords if keyword.arg == "command"]
    assert len(commands) == 2
    for command in commands:
        assert_valid_command(command)
    assert "max_active_runs=1" in (EXAMPLES / "airflow_dag.py").read_text()
    # a retry gets its own run id: newsbeam refuses a run id the output already has
    (ingest,) = [c for c in commands if c[0] == "run"]
    assert "{{ ti.try_number }}" in ingest[ingest.index("--run-id") + 1]


def test_json_logs_carry_the_run_id(tmp_path):
    result = subprocess.run([NEWSBEAM, "run", "--input", f"{SAMPLES}/txt/*.txt", "--output", str(tmp_path),
                             "--log-format", "json", "--run-id", "logged"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert lines and all(line["run_id"] == "logged" for line in lines)


def test_stats_answers_from_the_output(tmp_path, capsys):
    assert run_newsbeam("--input", f"{SAMPLES}/**", "--output", tmp_path, "--run-id", "stats-run") == 0
    capsys.readouterr()
    assert main(["stats", str(tmp_path), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert sum(r["articles"] for r in data["articles_per_day_and_outlet"] + data["undated_articles"]) == 13
    assert sum(r["membership_articles"] for r in data["mentions_per_day"]) >= 1
    assert {r["stage"] for r in data["errors_by_stage"]} == {"parse"}
    assert [r["run_id"] for r in data["last_runs"]] == ["stats-run"]
    assert main(["stats", str(tmp_path)]) == 0
    assert "Articles per day and outlet" in capsys.readouterr().out
    assert main(["stats", str(tmp_path / "missing")]) == 2


def test_validate_checks_config_inputs_and_feeds(tmp_path, capsys):
    with Site() as site:
        good = site.add("/feed.xml", rss([{"title": "t", "link": "https://x.example/a", "description": "d"}]))
        config = tmp_path / "c.yaml"
        config.write_text(yaml.safe_dump({
            "input": [f"{SAMPLES}/txt/*.txt"], "output": str(tmp_path / "out"),
            "feeds": [good, site.url("/missing.xml")], "fetch": {"allow_private_network": True, "retries": 0}}))
        assert main(["validate", "--config", str(config)]) == 0
        assert main(["validate", "--config", str(config), "--check-feeds"]) == 2
    out = capsys.readouterr().out
    assert "ok   " + good + ": 1 entries" in out and "FAIL " + site.url("/missing.xml") + ": http_404" in out
    assert not (tmp_path / "out").exists()  # validating writes nothing
    config.write_text("inptu: []\n")
    assert main(["validate", "--config", str(config)]) == 2
    assert "unknown key 'inptu'" in capsys.readouterr().out


@pytest.mark.parametrize("example", ["crontab", "kubernetes-cronjob.yaml", "airflow_dag.py"])
def test_readme_points_at_every_example(example):
    assert f"examples/{example}" in (ROOT / "README.md").read_text()


def test_watch_runs_cycles_and_stops_cleanly_on_sigterm(tmp_path):
    import signal
    import time

    output = tmp_path / "out"
    process = subprocess.Popen([NEWSBEAM, "watch", "--interval", "1s", "--input", f"{SAMPLES}/txt/*.txt",
                                "--output", str(output)], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list((output / "_runs").glob("*.json"))) < 2:
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    _, log = process.communicate(timeout=120)
    assert process.returncode == 0, log[-2000:]
    manifests = sorted((json.loads(p.read_text()) for p in (output / "_runs").glob("*.json")),
                       key=lambda m: m["started_at"])
    assert len(manifests) >= 2 and len({m["run_id"] for m in manifests}) == len(manifests)
    first = manifests[0]["counts"]
    assert (first["articles"], first["duplicates"]) == (4, 1)  # samples/txt: five dumps, one a reprint
    assert all(m["counts"]["articles"] == 0 and m["counts"]["skipped"] == 5 for m in manifests[1:])
    cycles = [line for line in log.splitlines() if "newsbeam.watch: cycle" in line]
    assert len(cycles) == len(manifests) and "stopped after" in log
    assert not (output / "_staging").exists()


def test_watch_interval_and_cycles(tmp_path):
    from newsbeam.pipeline.cli import parse_interval

    assert [parse_interval(t) for t in ("90", "30s", "15m", "1h")] == [90, 30, 900, 3600]
    with pytest.raises(Exception):
        parse_interval("soon")
    assert main(["watch", "--interval", "1s", "--cycles", "1", "--input", f"{SAMPLES}/txt/*.txt",
                 "--output", str(tmp_path)]) == 0
    assert len(list((tmp_path / "_runs").glob("*.json"))) == 1


def test_built_wheel_runs_with_multiprocess_workers_beside_another_pipeline_package(tmp_path):
    """What Dataflow, Flink or Spark workers get (--extra_package): the wheel alone, in an image
    that already has an unrelated top-level package named ``pipeline`` (as Airflow images do)."""
    import site
    import venv

    dist = tmp_path / "dist"
    other = tmp_path / "other"
    (other / "pipeline").mkdir(parents=True)
    (other / "pipeline" / "__init__.py").write_text("WHO = 'someone else'\n")
    (other / "pyproject.toml").write_text('[build-system]\nrequires = ["setuptools"]\n'
                                          'build-backend = "setuptools.build_meta"\n'
                                          '[project]\nname = "other-pipeline"\nversion = "1.0"\n'
                                          '[tool.setuptools]\npackages = ["pipeline"]\n')
    for project in (ROOT, other):
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                        "-w", str(dist), str(project)], check=True, capture_output=True)
    fresh = tmp_path / "venv"
    venv.create(fresh, with_pip=False)
    fresh_site = next((fresh / "lib").glob("python3*/site-packages"))
    # The dependencies come from the project's environment, but not its editable install of this
    # checkout: a path added by a .pth line is not a site dir, so its .pth hooks never run.
    (fresh_site / "deps.pth").write_text(site.getsitepackages()[0] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                    "--target", str(fresh_site), *map(str, dist.glob("*.whl"))], check=True, capture_output=True)
    python, work = fresh / "bin" / "python", tmp_path / "elsewhere"
    work.mkdir()
    where = subprocess.run([str(python), "-c", "import pipeline, newsbeam.pipeline, newsbeam.configs as c; "
                            "print(pipeline.WHO == 'someone else', newsbeam.pipeline.__file__, "
                            "c.DEFAULT_LEXICON.is_file())"],
                           cwd=work, capture_output=True, text=True, check=True).stdout.split()
    assert where[0] == "True" and where[1].startswith(str(fresh_site)) and where[2] == "True"
    result = subprocess.run([str(python), "-m", "newsbeam.pipeline.cli", "run", "--input", f"{SAMPLES}/**",
                             "--output", str(work / "out"), "--direct_num_workers=2",
                             "--direct_running_mode=multi_processing"], cwd=work, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    (manifest_path,) = (work / "out" / "_runs").glob("*.json")
    manifest = json.loads(manifest_path.read_text())
    assert manifest["accounting_ok"] and manifest["counts"]["articles"] == 13


def test_compact_merges_partitions_atomically_while_a_reader_reads(tmp_path):
    import threading

    import duckdb

    from tests.support.corpus import corpus
    from tests.test_cross_run import write_docs

    output = tmp_path / "out"
    texts = corpus(90, seed=77, paragraphs=2)
    for batch in range(3):  # three runs into the same partitions: three files in each
        write_docs(tmp_path / f"in{batch}", texts[batch * 30:(batch + 1) * 30], start=batch * 30)
        assert run_newsbeam("--input", tmp_path / f"in{batch}", "--output", output) == 0
    before = sorted(r[0] for r in duckdb.sql(
        f"SELECT article_id FROM read_parquet('{output}/articles/**/*.parquet', hive_partitioning=true)").fetchall())
    assert len(before) == 90 and all(len(list(p.glob("*.parquet"))) == 3
                                     for p in (output / "articles").glob("date=*/outlet=*"))
    counts, errors, done = [], [], threading.Event()

    def read_continuously():
        while not done.is_set():
            try:
                counts.append(duckdb.connect().sql(
                    f"SELECT count(*) FROM read_parquet('{output}/articles/**/*.parquet', hive_partitioning=true)"
                ).fetchall()[0][0])
            except duckdb.Error as exc:  # a file renamed away between listing and opening: no wrong answer
                errors.append(f"{type(exc).__name__}: {exc}")

    reader = threading.Thread(target=read_continuously)
    reader.start()
    try:
        assert main(["compact", str(output)]) == 0
    finally:
        done.set()
        reader.join()
    assert counts and set(counts) == {90}, (set(counts), errors[:3])
    after = sorted(r[0] for r in duckdb.sql(
        f"SELECT article_id FROM read_parquet('{output}/articles/**/*.parquet', hive_partitioning=true)").fetchall())
    assert after == before
    assert all(len(list(p.glob("*.parquet"))) == 1 for p in (output / "articles").glob("date=*/outlet=*"))
    assert not (output / "_staging").exists()
    assert main(["compact", str(output), "--date", "2025-03-01"]) == 0  # nothing left to merge: a no-op


def test_readme_analysis_examples_agree(samples_output, tmp_path, monkeypatch):
    import duckdb

    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Analyse the output"):readme.index("`newsbeam stats OUTPUT")]
    (sql,) = re.findall(r"```sql\n(.*?)```", section, re.S)
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 4
    (tmp_path / "out").symlink_to(samples_output)
    monkeypatch.chdir(tmp_path)  # the examples read ./out
    expected = [tuple(row) for row in duckdb.sql(sql).fetchall()]
    assert expected and all(row[1] > 0 for row in expected)
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - the README's own examples
    for name in ("top_duckdb", "top_pandas", "top_polars"):
        assert [tuple(row) for row in namespace[name]] == expected, name


def test_output_on_s3_through_beam_filesystems(tmp_path, monkeypatch):
    """A real S3-compatible server (moto's standalone server) on loopback, not a mocked client."""
    with s3_server(monkeypatch.setenv) as (endpoint, s3):
        options = ["--s3_endpoint_url", endpoint, "--s3_region_name", "us-east-1"]
        for run_id, again in (("first", ()), ("second", ("--reprocess",)), ("third", ())):
            assert run_newsbeam("--input", f"{SAMPLES}/**", "--output", "s3://news/out", "--run-id", run_id,
                                *options, *again) == 0
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="news")["Contents"]]
        manifests = {k: json.loads(s3.get_object(Bucket="news", Key=k)["Body"].read())
                     for k in keys if k.startswith("out/_runs/")}
        first, second, third = (manifests[f"out/_runs/{run}.json"] for run in ("first", "second", "third"))
        assert first["accounting_ok"] and (first["counts"]["articles"], first["counts"]["duplicates"]) == (13, 4)
        # the second run read every file again and the first one's dedup index back from S3: nothing
        # written twice; the third found every file in the S3 file ledger and read none
        assert (second["counts"]["articles"], second["counts"]["skipped"]) == (0, 17)
        assert (third["counts"]["files_unchanged"], third["counts"]["files_read"], third["files"]) == (10, 0, [])
        reported = {f["path"] for m in manifests.values() for f in m["files"]}
        assert reported == {f"s3://news/{k}" for k in keys if k.endswith(".parquet") and "/_index/" not in k}
        # the dedup index (the second run added none: nothing new) and the file ledgers of the runs that read
        assert sorted(k for k in keys if "/_index/" in k) == [
            "out/_index/files/part-first-0.parquet", "out/_index/files/part-second-0.parquet",
            "out/_index/part-first-0.parquet"]
        assert not [k for k in keys if "/_staging/" in k]


# The image's entrypoint, run outside Docker (there is no Docker engine here) the way the image runs
# it: as uid 10001, with tini as PID 1 of its own PID namespace (`docker stop` signals PID 1), and
# with the Dockerfile's own ENTRYPOINT line. The uid keeps only CAP_DAC_READ_SEARCH, so that it can
# load this checkout's interpreter (which may live under /root); it can write nothing it does not own.
AS_IMAGE_USER = ["setpriv", "--reuid=10001", "--regid=10001", "--clear-groups",
                 "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"]


def in_the_image(*argv: str) -> list[str]:
    """The command line of ``docker run IMAGE ARGV``: the Dockerfile's ENTRYPOINT (with this
    environment's Python for the image's) as uid 10001, PID 1 of a new PID namespace."""
    entrypoint = [sys.executable if word == "python" else word for word in dockerfile_entrypoint()]
    return ["unshare", "--pid", "--fork", "--kill-child", *AS_IMAGE_USER, *entrypoint, *argv]


def requires_root_and(*tools: str):
    """Skip unless the tests run as root (to change uid and open a PID namespace) with ``tools`` and
    the Dockerfile's init (tini) installed."""
    import os
    import shutil

    missing = [tool for tool in tools if shutil.which(tool) is None]
    missing += [] if Path(dockerfile_entrypoint()[0]).exists() else [dockerfile_entrypoint()[0]]
    missing += [] if os.geteuid() == 0 else ["root"]
    return pytest.mark.skipif(bool(missing), reason=f"needs {', '.join(missing)}")


@requires_root_and("setpriv", "unshare")
@pytest.mark.parametrize("command", [["run", "--input", str(SAMPLES), "--output", "{data}/news"],
                                     ["report", "{data}/out", "--html", "{data}/report.html"]])
def test_entrypoint_names_an_unwritable_output_folder_its_uid_and_the_fix(tmp_path, command):
    data = tmp_path / "data"  # owned by root, as a bind-mounted host folder is owned by its user
    data.mkdir()
    (data / "out" / "_runs").mkdir(parents=True)
    argv = [word.format(data=data) for word in command]
    result = subprocess.run(in_the_image(*argv), capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"newsbeam: error: output folder {data} is not writable by uid 10001 (gid 10001)")
    assert "belongs to uid 0" in line and 'docker run --user "$(id -u):$(id -g)"' in line and "fsGroup" in line
    assert sorted(p.name for p in data.iterdir()) == ["out"]


@requires_root_and("setpriv", "unshare")
@pytest.mark.parametrize("moment", ["starting", "running"])
def test_sigterm_to_the_image_entrypoint_stops_a_run_at_once_and_releases_the_lock(tmp_path, moment):
    """`docker stop` sends SIGTERM to PID 1 and SIGKILLs it 10 s later. As PID 1, a process that has
    no handler for a signal ignores it: with newsbeam itself as PID 1, a SIGTERM that came before
    the run's handler was installed was ignored and the run went on to the end."""
    import os
    import signal
    import time

    from tests.support.corpus import corpus
    from tests.test_cross_run import write_docs

    write_docs(tmp_path / "in", corpus(400, seed=5, paragraphs=4))
    data = tmp_path / "data"
    data.mkdir()
    os.chown(data, 10001, 10001)
    process = subprocess.Popen(in_the_image("run", "--input", str(tmp_path / "in"), "--output", str(data)),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (pid_1 := children.read_text().split()):
        time.sleep(0.01)
    assert pid_1, "the entrypoint did not start"
    # tini has set up its signal handling once it has started its child: before that, as PID 1 with
    # no handler yet, the kernel drops a SIGTERM (a race of the test, not of the image)
    command = Path(f"/proc/{pid_1[0]}/task/{pid_1[0]}/children")
    while time.monotonic() < deadline and not command.read_text().split():
        time.sleep(0.01)
    while moment == "running" and time.monotonic() < deadline and not (data / "_lock.json").exists():
        time.sleep(0.05)
    assert moment == "starting" or (data / "_lock.json").exists()
    stopped = time.monotonic()
    os.kill(int(pid_1[0]), signal.SIGTERM)  # what `docker stop` does: SIGTERM to the container's PID 1
    try:
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert time.monotonic() - stopped < 5, err[-2000:]
    assert process.returncode == 128 + signal.SIGTERM, err[-2000:]
    assert not (data / "_lock.json").exists()  # released: the next run starts at once
    assert not list(data.glob("_runs/*.json")) and not list(data.glob("articles/**/*.parquet"))  # nothing committed
