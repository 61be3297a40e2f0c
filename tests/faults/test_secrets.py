"""Credentials never reach the output folder or the logs, while the feed is still fetched with them.

A real run through the CLI with cloud keys as Beam options (both ``--name=value``
and ``--name value``, and one from the config file) and feed URLs that carry a
password and API tokens, served on loopback. Every byte under the output folder
(Parquet pages decoded too, since they may be compressed) and every log line is
searched for each secret; the host and path must still be readable.
"""
import base64
import json

import pyarrow.parquet as pq
import pytest

from newsbeam.transforms.read.feed_state import load_state, updated_state
from tests.conftest import check_accounting, manifests, rows, run_newsbeam
from tests.support.site import RecordingSite, article_page, rss
from newsbeam.transforms.redact import redact_argv, redact_text, redact_tree

USER, PASSWORD = "feed-reader-7f3a", "pw-S3cret-basic-91c2"
API_KEY, TOKEN = "ak-S3cret-query-55d0", "tk-S3cret-query-0b7e"
S3_ID, S3_SECRET, S3_SESSION = "AKIAS3CRETID4242EXMPL", "s3-S3cret-access-key-8e1d", "s3-S3cret-session-6a6a"
SECRETS = (USER, PASSWORD, API_KEY, TOKEN, S3_ID, S3_SECRET, S3_SESSION)


def everything_written(output) -> dict:
    """Each file under the output as text: its raw bytes, and for Parquet its decoded rows too."""
    found = {}
    for path in output.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("latin-1")
            if path.suffix == ".parquet":
                text += json.dumps(pq.read_table(path).to_pylist(), default=str)
            found[str(path.relative_to(output))] = text
    return found


def leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


@pytest.fixture
def feed_site():
    with RecordingSite() as site:
        site.add("/a", article_page("First story", ["Enough words about the first story to keep it as an article."]))
        site.add("/b", article_page("Second story", ["Other words about a second story, kept as an article too."]))
        site.add("/feed.xml", rss([
            {"title": "First story", "link": site.url("/a")},
            {"title": "Second story", "link": site.url("/b")},
            {"title": "First story again", "link": site.url("/a")},   # a duplicate row
            {"title": "Gone", "link": site.url("/gone")},              # an error row (404, no text of its own)
        ]), etag='"v1"')
        yield site


def test_no_secret_in_output_or_logs_and_the_feed_still_gets_them(tmp_path, feed_site, capfd):
    site = feed_site
    feed = f"http://{USER}:{PASSWORD}@{site.netloc}/feed.xml?api_key={API_KEY}&lang=de&token={TOKEN}"
    missing = f"http://{USER}:{PASSWORD}@{site.netloc}/missing.xml?access_token={TOKEN}"
    shown = f"http://***@{site.netloc}/feed.xml?api_key=***&lang=de&token=***"
    shown_missing = f"http://***@{site.netloc}/missing.xml?access_token=***"
    config = tmp_path / "config.yaml"
    config.write_text(f"pipeline_options:\n  s3_session_token: {S3_SESSION}\nfetch:\n  per_host_delay: 0\n")
    output = tmp_path / "out"
    common = ("--config", config, "--feed", feed, "--feed", missing, "--output", output, "--allow-private-network",
              f"--s3_access_key_id={S3_ID}", "--s3_secret_access_key", S3_SECRET, "--log-level", "DEBUG")

    assert run_newsbeam(*common, "--log-format", "text") == 0
    assert run_newsbeam(*common, "--log-format", "json") == 0  # conditional GET: the feed is not modified
    logs = capfd.readouterr()

    # the server saw the real credentials, on both runs
    feed_requests = [(target, headers) for target, headers in site.requests if target.startswith("/feed.xml")]
    assert len(feed_requests) == 2
    basic = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert all(headers["authorization"] == basic for _, headers in feed_requests)
    assert all(f"api_key={API_KEY}" in target and f"token={TOKEN}" in target for target, _ in feed_requests)
    assert feed_requests[1][1].get("if-none-match") == '"v1"'  # the state, keyed without secrets, still works

    # nothing secret anywhere under the output folder, Parquet decoded included
    written = everything_written(output)
    assert {name: leaks(text) for name, text in written.items() if leaks(text)} == {}
    # ... nor in the log lines, though the HTTP client's debug lines quote the request targets
    assert leaks(logs.err + logs.out) == []
    assert "/feed.xml?api_key=***&lang=de&token=***" in logs.err

    # while host and path stay readable
    first, second = manifests(output)
    check_accounting(output, first)
    assert {r["source"] for r in rows(output, "articles")} == {shown}
    assert {r["source"] for r in rows(output, "duplicates")} == {shown}
    assert {r["source"] for r in rows(output, "errors", "locator <> ''")} == {shown}
    assert {r["source"] for r in rows(output, "errors", "locator = ''")} == {shown_missing}
    assert [f["url"] for f in first["config"]["feeds"]] == [shown, shown_missing]
    assert first["config"]["pipeline_options"]["s3_session_token"] == "***"
    assert first["beam_args"] == ["--s3_access_key_id=***", "--s3_secret_access_key", "***"]
    assert {record["url"] for record in first["feeds"]} >= {shown}
    assert first["counts"]["articles"] == 2 and first["counts"]["duplicates"] == 1
    assert second["counts"]["feeds"]["not_modified"] == 1
    state_keys = list(load_state(str(output)))
    assert len(state_keys) == 1 and state_keys[0].startswith(shown + " #")


def test_redaction_keeps_what_is_not_secret():
    assert redact_text("https://user:pass@news.example/feed?api_key=K&lang=de&apikey=K2&key=K3&sig=S#x") == \
        "https://***@news.example/feed?api_key=***&lang=de&apikey=***&key=***&sig=***#x"
    for harmless in ("https://news.example/feed?keyword=nato&author=jane&page=2",
                     "http://169.254.169.254\\@example.com/", "plain text, no URL"):
        assert redact_text(harmless) == harmless
    assert redact_text("Max retries exceeded with url: /f?X-Amz-Signature=abc&X-Amz-Credential=def (Caused") == \
        "Max retries exceeded with url: /f?X-Amz-Signature=***&X-Amz-Credential=*** (Caused"
    assert redact_argv(["--s3_access_key_id", "A", "--runner", "DirectRunner", "--azure_connection_string=C"]) == \
        ["--s3_access_key_id", "***", "--runner", "DirectRunner", "--azure_connection_string=***"]
    assert redact_tree({"pipeline_options": {"s3_secret_access_key": "S", "num_workers": 2},
                        "feeds": [{"url": "https://u:p@h/f"}]}) == \
        {"pipeline_options": {"s3_secret_access_key": "***", "num_workers": 2}, "feeds": [{"url": "https://***@h/f"}]}


def test_state_written_by_older_versions_loses_its_clear_text_keys():
    old = {f"http://u:{PASSWORD}@h/feed": {"etag": '"1"'}, "http://h/plain": {"etag": '"2"'}}
    assert updated_state(old, []) == {"http://h/plain": {"etag": '"2"'}}
