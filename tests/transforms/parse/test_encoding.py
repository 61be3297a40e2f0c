"""Legacy encodings come out with correct umlauts and quotes; junk is refused."""
import codecs

import pytest

from newsbeam.transforms.parse.encoding import DecodeError, decode_bytes

GERMAN = "Die Ukraine fordert „mehr Unterstützung“ – Grüße aus Köln, sagte der Außenminister."
JAPANESE = "北大西洋条約機構の外相会合がブリュッセルで開かれ、ウクライナへの支援について協議した。首脳らは防空システムの追加供与で合意した。"
GERMAN_LATIN1 = "Die Ukraine fordert mehr Unterstützung, sagte der Außenminister in Köln. Größere Beiträge."


@pytest.mark.parametrize("text, encoding", [
    (GERMAN, "utf-8"),
    (GERMAN, "cp1252"),
    (GERMAN_LATIN1, "latin-1"),
    ("L'Ukraine souhaite adhérer à l'OTAN, a déclaré le président français. Très élevé, c'est ça.", "latin-1"),
    ("Украина хочет вступить в НАТО, заявил президент страны в понедельник вечером.", "cp1251"),
    ("Украина хочет вступить в НАТО, заявил президент страны в понедельник вечером.", "koi8-r"),
    ("Οι υπουργοί Εξωτερικών του ΝΑΤΟ συζήτησαν στις Βρυξέλλες τη βοήθεια προς την Ουκρανία.", "cp1253"),
    (JAPANESE, "shift_jis"),
    (JAPANESE, "euc-jp"),
    ("北约外长在布鲁塞尔举行会议，讨论对乌克兰的援助问题。各国同意向乌克兰提供更多防空系统。", "gb2312"),
])
def test_legacy_encodings_decode_to_the_original_text(text, encoding):
    decoded, _ = decode_bytes(text.encode(encoding))
    assert decoded == text


@pytest.mark.parametrize("bom, codec", [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")])
def test_byte_order_marks(bom, codec):
    decoded, _ = decode_bytes(bom + GERMAN.encode(codec))
    assert decoded.lstrip("\ufeff") == GERMAN


def test_declared_charset_wins_over_guessing():
    page = '<html><head><meta charset="windows-1252"></head><body>„Zitat“ – Grüße</body></html>'
    decoded, encoding = decode_bytes(page.encode("cp1252"))
    assert "„Zitat“ – Grüße" in decoded and encoding == "cp1252"


def test_binary_junk_is_refused():
    with pytest.raises(DecodeError):
        decode_bytes(bytes(range(256)) * 20)
