"""Readers: globs to files, files to bytes, and whatever cannot be read becomes an error row."""
import gzip

import pytest

from newsbeam.transforms.read.files import InputError, ReadInputFiles, match_inputs


def test_globs_folders_and_sidecar(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.txt").write_text("x")
    (tmp_path / "a" / "two.html").write_text("x")
    (tmp_path / "a" / "_meta.yaml").write_text("'*': {outlet: Alpha}\ntwo.html: {url: 'https://a.example/2'}\n")
    (tmp_path / "b.jsonl").write_text("{}")
    found = match_inputs([str(tmp_path / "a"), str(tmp_path / "*.jsonl"), str(tmp_path / "a" / "one.txt")])
    # sorted by path, each file once although two specs name one.txt
    assert [f.path.rsplit("/", 1)[1] for f in found] == ["one.txt", "two.html", "b.jsonl"]
    hints = {f.path.rsplit("/", 1)[1]: dict(f.hints) for f in found}
    assert hints == {"one.txt": {"outlet": "Alpha"}, "two.html": {"outlet": "Alpha", "url": "https://a.example/2"},
                     "b.jsonl": {}}


def test_a_glob_matching_nothing_fails_before_any_work(tmp_path):
    with pytest.raises(InputError, match="matched no files"):
        match_inputs([str(tmp_path / "nothing-*.txt")])


def test_bad_sidecar_is_refused(tmp_path):
    (tmp_path / "x.txt").write_text("x")
    (tmp_path / "_meta.yaml").write_text("x.txt: {outlett: Typo}\n")
    with pytest.raises(InputError, match="unknown key"):
        match_inputs([str(tmp_path / "*.txt")])


@pytest.fixture
def read_files(run_transform):
    def run(inputs, max_bytes=10_000):
        def build(p):
            result = p | ReadInputFiles(inputs, max_bytes)
            return {"files": result.files, "errors": result.errors}
        found = run_transform(build)
        return found["files"], found["errors"]
    return run


def test_unreadable_inputs_become_error_rows(tmp_path, read_files):
    files = {
        "ok.txt.gz": gzip.compress("Grüße".encode()),
        "bomb.txt.gz": gzip.compress(b"A" * 50_000),          # 50 KB out of a few bytes
        "huge.txt": b"x" * 20_000,
        "notgzip.html.gz": b"plain bytes, not gzip",
        "empty.txt": b"",
        "image.png": b"\x89PNG",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    good, errors = read_files(match_inputs([str(tmp_path / "*")]))
    assert [(f.path.rsplit("/", 1)[1], f.fmt, f.data) for f in good] == [("ok.txt.gz", "txt", "Grüße".encode())]
    assert sorted((e.source.rsplit("/", 1)[1], e.stage, e.error_type) for e in errors) == [
        ("bomb.txt.gz", "read", "too_large"),
        ("empty.txt", "read", "empty"),
        ("huge.txt", "read", "too_large"),
        ("image.png", "read", "unsupported_format"),
        ("notgzip.html.gz", "read", "unreadable"),
    ]


def test_streamed_formats_pass_unread_whatever_their_size(tmp_path, read_files):
    # JSONL and WARC/ARC files are read item by item in the parse stage, with a cap per item:
    # max_input_bytes (10,000 here) does not apply to them.
    for name in ("export.jsonl", "export.ndjson.gz", "crawl.warc.gz", "old.arc"):
        (tmp_path / name).write_bytes(b"x" * 20_000)
    (tmp_path / "huge.txt").write_bytes(b"x" * 20_000)
    good, errors = read_files(match_inputs([str(tmp_path / "*")]))
    assert sorted((f.path.rsplit("/", 1)[1], f.fmt, f.data, f.streamed) for f in good) == [
        ("crawl.warc.gz", "warc", b"", True), ("export.jsonl", "jsonl", b"", True),
        ("export.ndjson.gz", "jsonl", b"", True), ("old.arc", "warc", b"", True)]
    assert [(e.source.rsplit("/", 1)[1], e.error_type) for e in errors] == [("huge.txt", "too_large")]
