"""Tagging on real article sentences labelled independently of the lexicon (see real.py)."""
import pytest

from newsbeam.configs import DEFAULT_LEXICON
from newsbeam.transforms.tag.lexicon import load_lexicon
from newsbeam.transforms.tag.mentions import Tagger
from tests.transforms.tag import real
from tests.transforms.tag.gold import score

# Per language, on the sentences present here: the floor the lexicon must keep. Russian keeps two
# known errors (a Soviet officer named Зеленский; '#дизайнкиев', a glued hashtag).
FLOOR = {"ru": 0.97}


@pytest.fixture(scope="module")
def labelled():
    found = real.examples()
    if not found:
        pytest.skip(f"no labelled file is present under {real.SHARED}")
    return found


def test_every_label_line_is_well_formed():
    entries = real.entries()
    assert len(entries) >= 500
    for entry in entries:
        assert entry["lang"] in {"de", "en", "fr", "es", "it", "pl", "nl", "uk", "ru"}, entry
        assert entry["ref"].partition("#")[0].split("/")[0] in {"seeds", "benchmarks", "tagging_texts"}, entry
        assert "text" not in entry  # the sentence itself never enters the repository
        for entity, start, end, surface in entry["mentions"]:
            assert entity in {"nato", "ukraine", "kyiv", "zelensky"} and end - start == len(surface), entry


def test_precision_and_recall_per_language_on_real_sentences(labelled):
    tagger = Tagger(load_lexicon(str(DEFAULT_LEXICON)))
    for language, tally in score(tagger, labelled).items():
        floor = FLOOR.get(language, 0.98)
        if tally["tp"] + tally["fn"]:
            assert tally["recall"] >= floor, (language, tally["errors"])
        if tally["tp"] + tally["fp"]:
            assert tally["precision"] >= floor, (language, tally["errors"])
        assert tally["trap_fp"] == 0 or language in FLOOR, (language, tally["errors"])
        assert tally["topic_errors"] == 0, (language, tally["errors"])


def test_a_changed_source_is_an_error_not_a_silent_skip(tmp_path, monkeypatch):
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "a.txt").write_text("Die NATO tagt.", encoding="utf-8")
    line = ('{"lang": "de", "ref": "seeds/a.txt", "start": 0, "end": 14, "sha1": "0", '
            '"mentions": [["nato", 4, 8, "NATO"]], "topic": null}\n')
    (tmp_path / "labels.jsonl").write_text(line, encoding="utf-8")
    monkeypatch.setattr(real, "SHARED", tmp_path)
    monkeypatch.setattr(real, "LABELS", tmp_path / "labels.jsonl")
    real.document.cache_clear()
    with pytest.raises(real.SourceChanged):
        real.examples()
    (tmp_path / "seeds" / "a.txt").unlink()
    assert real.examples() == [] and real.unavailable() == {"de": 1}
    real.document.cache_clear()


def test_a_line_reference_reads_that_line_of_a_one_sentence_per_line_file(tmp_path, monkeypatch):
    folder = tmp_path / "tagging_texts" / "ntrex"
    folder.mkdir(parents=True)
    (folder / "t.fra.txt").write_bytes("Premier.\r\nL’OTAN se réunit.\r\nTroisième.\r\n".encode("utf-8"))
    line = ('{"lang": "fr", "ref": "tagging_texts/ntrex/t.fra.txt#L2", "sha1": "%s", '
            '"mentions": [["nato", 2, 6, "OTAN"]], "topic": null}\n' % real.sha1("L’OTAN se réunit."))
    (tmp_path / "labels.jsonl").write_text(line, encoding="utf-8")
    monkeypatch.setattr(real, "SHARED", tmp_path)
    monkeypatch.setattr(real, "LABELS", tmp_path / "labels.jsonl")
    real.document.cache_clear()
    real._lines.cache_clear()
    assert real.examples() == [("fr", None, "L’OTAN se réunit.", {("nato", 2, 6)})]
    (folder / "t.fra.txt").write_bytes("Premier.\r\nAutre chose.\r\n".encode("utf-8"))
    real.document.cache_clear()
    real._lines.cache_clear()
    with pytest.raises(real.SourceChanged):
        real.examples()
    real.document.cache_clear()
    real._lines.cache_clear()
