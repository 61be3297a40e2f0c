"""The tag evidence columns as an analyst reads them: written by `newsbeam run`, read with DuckDB."""
import duckdb

from tests.conftest import check_accounting, run_newsbeam

ARTICLE = """Rutte: Ukraine wird Mitglied der NATO

Brüssel. Die Außenminister der NATO trafen sich am Mittwoch.
Generalsekretär Rutte sagte, der Beitritt der Ukraine zur NATO sei unumkehrbar. Die Ukraine dankte.
Kiew und die NATO vereinbarten weitere Übungen.
"""


def test_evidence_columns_are_written_and_read_back_with_duckdb(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "rutte.txt").write_text(ARTICLE, encoding="utf-8")
    output = tmp_path / "out"
    assert run_newsbeam("--input", f"{tmp_path}/in/*.txt", "--output", output) == 0
    check_accounting(output)
    source = f"read_parquet('{output}/articles/**/*.parquet', hive_partitioning=true, union_by_name=true)"
    types = dict(duckdb.sql(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {source})").fetchall())
    assert types["comention_spans"] == 'STRUCT("start" INTEGER, "end" INTEGER)[]'
    assert types["topic_evidence"] == ('STRUCT(topic VARCHAR, sentence_start INTEGER, sentence_end INTEGER, '
                                       'word VARCHAR, word_start INTEGER, word_end INTEGER)[]')
    assert types["comention_sentences"] == "VARCHAR[]"  # the existing column keeps its type
    # the README's way to read the sentences back from their offsets (DuckDB's substr counts from 1)
    tagged = "CASE WHEN title IS NULL THEN text ELSE title || chr(10) || chr(10) || text END"
    spans = duckdb.sql(f"""
        SELECT comention_sentences, list_transform(comention_spans, lambda s: substr({tagged}, s.start + 1, s."end" - s.start))
        FROM {source}""").fetchall()
    [(sentences, from_offsets)] = spans
    assert sentences == from_offsets == [
        "Rutte: Ukraine wird Mitglied der NATO",
        "Generalsekretär Rutte sagte, der Beitritt der Ukraine zur NATO sei unumkehrbar."]
    evidence = duckdb.sql(f"""
        SELECT e.topic, e.word, substr({tagged}, e.word_start + 1, e.word_end - e.word_start),
               substr({tagged}, e.sentence_start + 1, e.sentence_end - e.sentence_start)
        FROM (SELECT unnest(topic_evidence) AS e, title, text FROM {source})
        ORDER BY e.sentence_start""").fetchall()
    assert evidence == [
        ("nato_ukraine_membership", "Mitglied", "Mitglied", "Rutte: Ukraine wird Mitglied der NATO"),
        ("nato_ukraine_membership", "Beitritt", "Beitritt",
         "Generalsekretär Rutte sagte, der Beitritt der Ukraine zur NATO sei unumkehrbar.")]
