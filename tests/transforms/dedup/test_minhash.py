"""MinHash: stable signatures, estimates close to the true shingle Jaccard."""
import random
import subprocess
import sys

from tests.support.corpus import corpus, variant
from newsbeam.transforms.dedup.minhash import NUM_PERM, MinHasher, band_keys, estimate, jaccard, shingles


def test_signature_is_the_same_in_another_process():
    text = "Die NATO und die Ukraine verhandeln in Brüssel über neue Sicherheitsgarantien für Kiew."
    here = MinHasher().signature(text).tobytes().hex()
    code = ("from newsbeam.transforms.dedup.minhash import MinHasher; "
            f"print(MinHasher().signature({text!r}).tobytes().hex())")
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "12345", "PATH": "/usr/bin:/bin"}).stdout.strip()
    assert here == there and len(bytes.fromhex(here)) == NUM_PERM * 4


def test_estimate_tracks_true_jaccard():
    hasher, rng = MinHasher(), random.Random(3)
    errors = []
    for text in corpus(20, seed=5):
        for edit in (0.0, 0.02, 0.05, 0.1, 0.2):
            copy = variant(text, rng, edit=edit)
            true = jaccard(shingles(text), shingles(copy))
            errors.append(abs(estimate(hasher.signature(text).tobytes(), hasher.signature(copy).tobytes()) - true))
    assert max(errors) < 0.15 and sum(errors) / len(errors) < 0.05


def test_band_keys_match_only_where_bands_match():
    hasher = MinHasher()
    a = hasher.signature("one two three four five six seven").tobytes()
    b = hasher.signature("completely different words in this other sentence here").tobytes()
    assert band_keys(a) == band_keys(a)
    assert not set(band_keys(a)) & set(band_keys(b))
    assert len(set(band_keys(a))) == 32


def test_shingles_normalize_and_handle_short_texts():
    assert shingles("Eins, ZWEI drei!") == {"eins zwei drei"}
    assert shingles("") == set()
    assert len(shingles("a b c d e f g")) == 3
