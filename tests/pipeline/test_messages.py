"""Messages that name the problem and the fix: misspelt flags and keys, a feed without its scheme,
a date written the other way, a folder that is not an output, fetch failures by reason, quiet days,
and the summary as one JSON object for schedulers."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from newsbeam.pipeline.cli import main
from tests.conftest import SAMPLES, only_manifest, run_newsbeam
from tests.support.site import Site, rss

NEWSBEAM = str(Path(sys.executable).with_name("newsbeam"))


def last_error(capsys) -> str:
    return capsys.readouterr().err.strip().splitlines()[-1]


@pytest.mark.parametrize("argv, message", [
    (["run", "--inptu", "x", "--output", "{tmp}/out"], "unknown option --inptu; did you mean --input?"),
    (["run", "--input", "x", "--output", "{tmp}/out", "--allow-privat-network"],
     "unknown option --allow-privat-network; did you mean --allow-private-network?"),
    (["run", "--input", "x", "--output", "{tmp}/out", "--runer=DirectRunner"],  # a Beam option
     "unknown option --runer; did you mean --runner?"),
    (["run", "--input", "x", "--output", "{tmp}/out", "--frobnicate"],
     "unknown option --frobnicate (see newsbeam run --help)"),
    (["watch", "--intervall", "5", "--input", "x", "--output", "{tmp}/out"],
     "unknown option --intervall; did you mean --interval?"),
    (["stats", "{tmp}", "--formt", "json"], "unknown option --formt; did you mean --format?"),
    (["compact", "{tmp}", "--dates", "2025-02-28"], "unknown option --dates; did you mean --date?"),
    (["validate", "--cofig", "x.yaml"], "unknown option --cofig; did you mean --config?"),
    (["report", "{tmp}", "--html", "x.html", "--dep"], "unknown option --dep (see newsbeam report --help)"),
])
def test_a_misspelt_flag_gets_the_flag_it_meant(tmp_path, capsys, argv, message):
    assert main([a.format(tmp=tmp_path) for a in argv]) == 2
    assert last_error(capsys) == f"newsbeam: error: {message}"
    assert not (tmp_path / "out").exists()


def test_a_feed_without_its_scheme_names_the_flag_and_the_url_it_meant(tmp_path, capsys):
    assert run_newsbeam("--feed", "www.tagesschau.de/xml/rss2/", "--output", tmp_path / "out") == 2
    assert last_error(capsys) == ("newsbeam: error: --feed www.tagesschau.de/xml/rss2/ is not an http(s) URL; "
                                  "did you mean https://www.tagesschau.de/xml/rss2/?")


@pytest.mark.parametrize("config, message", [
    ("feeds:\n  - {url: 'https://a.example/f', langauge: de}\n",
     "feeds[0]: unknown key 'langauge' (did you mean 'language'?)"),
    ("feeds:\n  - https://a.example/f\n  - {url: 'https://b.example/f', outlte: B}\n",
     "feeds[1]: unknown key 'outlte' (did you mean 'outlet'?)"),
    ("feeds:\n  - www.a.example/rss\n", "key 'feeds': 'www.a.example/rss' is not an http(s) URL with a host; "
     "did you mean https://www.a.example/rss?"),
    ("input: [x]\noutpt: out\n", "unknown key 'outpt' (did you mean 'output'?)"),
    ("input: [x]\nfetch: {retires: 2}\n", "'retires' is not one (did you mean 'retries'?)"),
])
def test_a_config_typo_names_the_key_and_the_one_it_meant(tmp_path, capsys, config, message):
    path = tmp_path / "run.yaml"
    path.write_text(config)
    assert main(["run", "--config", str(path), "--output", str(tmp_path / "out")]) == 2
    error = last_error(capsys)
    assert error.startswith(f"newsbeam: error: {path}: ") and message in error


@pytest.mark.parametrize("argv, message", [
    (["compact", "{out}", "--date", "28.02.2025"],
     "argument --date: not a date: '28.02.2025'; write days as YYYY-MM-DD (did you mean 2025-02-28?)"),
    (["stats", "{out}", "--since", "2025-2-3"],
     "argument --since: not a date: '2025-2-3'; write days as YYYY-MM-DD (did you mean 2025-02-03?)"),
    (["stats", "{out}", "--date", "yesterday"], "argument --date: not a date: 'yesterday'; write days as YYYY-MM-DD"),
    (["compact", "{tmp}"], "{tmp} is not a newsbeam output (it has none of articles, duplicates, errors, _runs/)"),
    (["stats", "{tmp}"], "{tmp} is not a newsbeam output (it has none of articles, duplicates, errors, _runs/)"),
])
def test_compact_and_stats_refuse_a_bad_date_or_a_folder_that_is_no_output(tmp_path, argv, message):
    (tmp_path / "out" / "_runs").mkdir(parents=True)
    (tmp_path / "notes.txt").write_text("not an output")
    result = subprocess.run([NEWSBEAM, *(a.format(tmp=tmp_path, out=tmp_path / "out") for a in argv)],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].endswith(message.format(tmp=tmp_path))
    assert "compacted" not in result.stdout and "nothing written" not in result.stdout


def test_fetch_failures_are_summarised_by_reason_with_what_to_do(tmp_path, capsys):
    with Site() as site:  # on loopback, which is refused without --allow-private-network
        feeds = [site.add(f"/{name}.xml", rss([])) for name in ("a", "b")]
        assert run_newsbeam("--feed", feeds[0], "--feed", feeds[1], "--output", tmp_path) == 0
    out = capsys.readouterr().out
    assert "2 failed: blocked_address 2 (use --allow-private-network for loopback or private feeds)" in out
    assert [feed["error"] for feed in only_manifest(tmp_path)["feeds"]] == ["blocked_address"] * 2


def test_a_quiet_day_exits_0_saying_nothing_new_unless_told_to_fail(tmp_path, capsys):
    drop = tmp_path / "drop"
    drop.mkdir()
    assert run_newsbeam("--input", f"{drop}/*.txt", "--output", tmp_path / "out") == 0
    out = capsys.readouterr().out
    assert "nothing new: the inputs matched no files" in out
    manifest = only_manifest(tmp_path / "out")
    assert (manifest["status"], manifest["nothing_new"], manifest["counts"]["input_items"]) == ("succeeded", True, 0)

    assert run_newsbeam("--input", f"{drop}/*.txt", "--output", tmp_path / "out", "--fail-on-no-input") == 2
    assert last_error(capsys) == f"newsbeam: error: input '{drop}/*.txt' matched no files"
    (tmp_path / "strict.yaml").write_text("fail_on_no_input: true\n")
    assert main(["run", "--config", str(tmp_path / "strict.yaml"), "--input", f"{drop}/*.txt",
                 "--output", str(tmp_path / "out")]) == 2
    assert "matched no files" in last_error(capsys)


def test_json_logs_end_with_the_summary_as_one_json_object_and_no_progress(tmp_path):
    result = subprocess.run([NEWSBEAM, "run", "--input", f"{SAMPLES}/txt/*.txt", "--output", str(tmp_path),
                             "--log-format", "json", "--run-id", "json-run"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    (line,) = result.stdout.splitlines()  # stdout: the summary only, as one object
    summary = json.loads(line)
    assert (summary["run_id"], summary["status"], summary["nothing_new"]) == ("json-run", "succeeded", False)
    assert summary["counts"]["articles"] == only_manifest(tmp_path)["counts"]["articles"] > 0
    assert summary["manifest"] == str(tmp_path / "_runs" / "json-run.json") and summary["seconds"] > 0
    assert all(json.loads(line)["run_id"] == "json-run" for line in result.stderr.splitlines())  # json only
    assert "\r" not in result.stderr  # no terminal: no progress line



def test_json_logs_give_errors_as_json_too(tmp_path, capsys):
    assert run_newsbeam("--input", f"{tmp_path}/none/*.txt", "--output", tmp_path, "--log-format", "json",
                        "--fail-on-no-input") == 2
    failed = capsys.readouterr()
    assert failed.out == ""
    (error,) = [json.loads(line) for line in failed.err.splitlines()]
    assert error["level"] == "ERROR" and "matched no files" in error["message"]


def test_stats_filters_by_day_and_outlet_and_counts_undated_articles_apart(samples_output, capsys):
    def stats(*flags):
        assert main(["stats", str(samples_output), "--format", "json", *flags]) == 0
        return json.loads(capsys.readouterr().out)

    everything = stats()
    dated = sum(r["articles"] for r in everything["articles_per_day_and_outlet"])
    undated = sum(r["articles"] for r in everything["undated_articles"])
    assert undated >= 1 and dated + undated == sum(r["articles"] for r in everything["top_outlets"])
    assert sum(r["articles"] for r in everything["mentions_per_day"]) == dated

    day = everything["articles_per_day_and_outlet"][-1]["date"]
    assert {r["date"] for r in stats("--date", day)["articles_per_day_and_outlet"]} == {day}
    since = stats("--since", day)["mentions_per_day"]
    assert [r["date"] for r in since] == [day]
    outlet = everything["articles_per_day_and_outlet"][0]["outlet"]
    only = stats("--outlet", outlet)
    assert {r["outlet"] for r in only["articles_per_day_and_outlet"] + only["top_outlets"]} == {outlet}
    assert "errors_by_stage" not in only  # errors have no outlet
    hostile = stats("--outlet", "x' OR '1'='1")  # a value, bound as a parameter: matches nothing
    assert hostile["top_outlets"] == [] and hostile["articles_per_day_and_outlet"] == []


def test_stats_names_a_damaged_run_manifest_and_leaves_it_out(samples_output, tmp_path, capsys):
    output = tmp_path / "out"
    shutil.copytree(samples_output, output)
    (output / "_runs" / "broken.json").write_text('{"run_id": ')
    assert main(["stats", str(output)]) == 0
    out = capsys.readouterr().out
    assert "samples-run  succeeded" in out
    assert f"{output}/_runs/broken.json: not JSON" in out.split("Damaged files")[1]
