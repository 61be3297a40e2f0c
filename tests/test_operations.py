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
    assert args.command in ("run", "stats", "validate"), argv
    assert all(not r.startswith("--") or r.split("=")[0] in ("--runner", "--direct_num_workers") for r in rest), rest


def test_dockerfile_lints_clean_and_matches_the_package():
    hadolint = Path(sys.executable).with_name("hadolint")
    result = subprocess.run([str(hadolint), str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    dockerfile = (ROOT / "Dockerfile").read_text()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert 'ENTRYPOINT ["newsbeam"]' in dockerfile and "newsbeam" in project["scripts"]
    assert re.search(r"^USER 10001$", dockerfile, re.M)  # not root
    for source in re.findall(r"^COPY (\S+(?: \S+)*) \S+$", dockerfile, re.M):
        for path in source.split():
            assert (ROOT / path).exists(), path
    assert set(project["dependencies"]) and "requirements.lock" in dockerfile
    read_config_file(str(ROOT / "configs" / "default.yaml"))  # the config the image ships is valid


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
    assert pod["securityContext"]["runAsNonRoot"] is True
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
    assert sum(r["articles"] for r in data["articles_per_day_and_outlet"]) == 13
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
