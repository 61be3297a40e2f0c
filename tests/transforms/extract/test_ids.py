"""Canonical URLs and ids: the same article is the same id everywhere, copies collapse."""
from newsbeam.transforms.extract.ids import article_id, canonical_url, content_hash, url_domain


def test_canonical_url_drops_tracking_fragment_and_host_case():
    assert canonical_url("HTTPS://WWW.Example.de:443/a/b?utm_source=x&id=2&fbclid=abc&b=1#comments") == \
        "https://www.example.de/a/b?b=1&id=2"
    assert canonical_url("http://example.de") == "http://example.de/"


def test_canonical_url_refuses_what_is_not_a_web_page():
    for url in ("javascript:alert(1)", "file:///etc/passwd", "mailto:a@b.c", "not a url", "", None,
                "http://[::1"):
        assert canonical_url(url) is None


def test_url_domain_names_the_outlet():
    assert url_domain("https://www.spiegel.de/politik/a.html") == "spiegel.de"


def test_content_hash_ignores_case_punctuation_and_spacing():
    assert content_hash("Die NATO,  und die Ukraine!") == content_hash("die nato und\n die ukraine")
    assert content_hash("Die NATO") != content_hash("Die EU")


def test_article_id_is_stable_and_prefers_the_url():
    text_hash = content_hash("some text")
    assert article_id("https://a.example/x", text_hash) == article_id("https://a.example/x", content_hash("other"))
    assert article_id(None, text_hash) != article_id("https://a.example/x", text_hash)
    # A fixed value: ids must never change between versions, runners or Python processes.
    assert article_id("https://a.example/x", text_hash) == "ba1403cc7aa601c0d07ca412431c7e80"
