"""MinHash signatures over word shingles, and LSH band keys.

A document's text is normalized (case, punctuation and spacing do not count),
cut into overlapping shingles of ``SHINGLE_WORDS`` words, and each shingle is
hashed with blake2b, so signatures are the same in every process and on every
runner (never Python's salted ``hash()``). ``NUM_PERM`` permutations
``(a*x + b) mod p`` give the signature; it is split into ``BANDS`` bands of
``ROWS`` values, and two documents become candidates when any band is equal:
the chance is ``1 - (1 - J**ROWS)**BANDS`` for shingle Jaccard ``J``, about
1.0 at J = 0.75, 0.87 at J = 0.5 and 0.12 at J = 0.3. Candidates are then
verified: the share of equal signature values estimates J, and pairs at or above
``THRESHOLD`` are near-duplicates.
"""
from __future__ import annotations

import hashlib

import numpy as np

from newsbeam.transforms.extract.ids import normalize_for_hash

SHINGLE_WORDS = 5
NUM_PERM = 128
BANDS, ROWS = 32, 4
THRESHOLD = 0.65
_PRIME = np.uint64((1 << 61) - 1)
CHUNK = 4096  # shingles permuted at once: bounds a signature's memory to ~4 MB whatever the text's size
_MAX = np.uint64(0xFFFFFFFF)
assert BANDS * ROWS == NUM_PERM


def _permutations(seed: int = 1, num_perm: int = NUM_PERM) -> tuple[np.ndarray, np.ndarray]:
    generator = np.random.Generator(np.random.PCG64(seed))
    a = generator.integers(1, (1 << 61) - 1, size=num_perm, dtype=np.uint64)
    b = generator.integers(0, (1 << 61) - 1, size=num_perm, dtype=np.uint64)
    return a, b


def shingles(text: str, k: int = SHINGLE_WORDS) -> set[str]:
    """The set of k-word shingles of the normalized text (the whole text when shorter)."""
    words = normalize_for_hash(text).split()
    if len(words) <= k:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i:i + k]) for i in range(len(words) - k + 1)}


def _shingle_stream(text: str, k: int = SHINGLE_WORDS):
    """The k-word shingles of the normalized text one by one (repeats included), never all at once."""
    words = normalize_for_hash(text).split()
    if len(words) <= k:
        if words:
            yield " ".join(words)
        return
    for i in range(len(words) - k + 1):
        yield " ".join(words[i:i + k])


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


class MinHasher:
    """Builds signatures; cheap to call, made once per worker."""

    def __init__(self, seed: int = 1):
        self._a, self._b = _permutations(seed)

    def signature(self, text: str) -> np.ndarray:
        """``NUM_PERM`` uint32 values; all 0xFFFFFFFF for a text without words."""
        hashes = np.unique(np.fromiter(
            (int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=4).digest(), "little")
             for s in _shingle_stream(text)), dtype=np.uint64))
        if not len(hashes):
            return np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)
        signature = np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for start in range(0, len(hashes), CHUNK):
                chunk = hashes[None, start:start + CHUNK]
                permuted = (self._a[:, None] * chunk + self._b[:, None]) % _PRIME & _MAX
                np.minimum(signature, permuted.min(axis=1), out=signature)
        return signature.astype(np.uint32)


_MIX = np.uint64(0x9E3779B97F4A7C15)
_BAND_BITS = 56


_BAND_NUMBERS = np.arange(BANDS, dtype=np.int64) << _BAND_BITS


def band_array(signature: bytes) -> np.ndarray:
    """One int64 key per band: the band's number in the top bits, a 56-bit mix of the band's
    values below, so keys of different bands never meet. Vectorized."""
    values = np.frombuffer(signature, dtype=np.uint32).astype(np.uint64).reshape(BANDS, ROWS)
    mixed = np.zeros(BANDS, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in range(ROWS):
            mixed = (mixed ^ values[:, column]) * _MIX
            mixed ^= mixed >> np.uint64(29)
    return _BAND_NUMBERS | (mixed >> np.uint64(64 - _BAND_BITS)).astype(np.int64)


def band_keys(signature: bytes) -> list[int]:
    """The band keys as Python ints (Beam keys)."""
    return band_array(signature).tolist()


def estimate(a: bytes, b: bytes) -> float:
    """Estimated shingle Jaccard of two signatures."""
    return float(np.mean(np.frombuffer(a, dtype=np.uint32) == np.frombuffer(b, dtype=np.uint32)))
