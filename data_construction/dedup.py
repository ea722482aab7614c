"""Near-duplicate prompt detection: MinHash over word 3-gram shingles with LSH banding, then an exact Jaccard check.

The blog does not mention deduplication; exact duplicates are always removed by selection, and near duplicates
(word-shingle Jaccard ≥ ``data.selection.near_dup_threshold``, default 0.9) are removed too, first occurrence in
recipe source order wins. Prompts shorter than the shingle size are compared as one shingle (exact match).

Cost: one numpy pass per prompt (``NUM_PERM`` hash permutations), bucket dictionaries per band, and a Jaccard check
only for prompts that share a bucket — linear in the number of prompts for realistic data.
"""

from __future__ import annotations

import re
import zlib

import numpy as np

NUM_PERM = 64
BANDS = 8  # 8 bands × 8 rows: P(candidate | J=0.9) ≈ 1 − (1 − 0.9⁸)⁸ ≈ 0.99; P(candidate | J=0.3) ≈ 5e-4
SHINGLE = 3
_PRIME = (1 << 61) - 1
_rng = np.random.default_rng(20241211)
_A = _rng.integers(1, _PRIME, NUM_PERM, dtype=np.uint64)
_B = _rng.integers(0, _PRIME, NUM_PERM, dtype=np.uint64)
_WORD = re.compile(r"\w+", re.UNICODE)


def shingles(text: str) -> set[int]:
    """Hashed word 3-grams of the lower-cased text (CJK text without spaces: character 3-grams)."""
    words = _WORD.findall(text.lower())
    if len(words) <= 2 and len(text) > 12:  # unspaced scripts (Chinese): characters instead of words
        words = [ch for ch in text if not ch.isspace()]
    grams = [" ".join(words[i:i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1))]
    return {zlib.crc32(g.encode()) for g in grams}


def signatures(shingle_sets: list[set[int]]) -> np.ndarray:
    """MinHash signatures (n × NUM_PERM) of many shingle sets at once: one vectorised pass per permutation."""
    lengths = np.fromiter((len(sh) for sh in shingle_sets), dtype=np.int64, count=len(shingle_sets))
    flat = np.fromiter((h for sh in shingle_sets for h in sh), dtype=np.uint64, count=int(lengths.sum()))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if len(lengths) else np.zeros(0, dtype=np.int64)
    sig = np.empty((len(shingle_sets), NUM_PERM), dtype=np.uint64)
    for k in range(NUM_PERM):  # (a·x + b) mod p in uint64 arithmetic (wrap-around is fine for hashing)
        sig[:, k] = np.minimum.reduceat((_A[k] * flat + _B[k]) % _PRIME, starts) if len(flat) else 0
    return sig


def jaccard(a: set[int], b: set[int]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def near_duplicates(texts: list[str], threshold: float = 0.9) -> list[bool]:
    """For each text in order: is it a near duplicate (Jaccard ≥ threshold) of an earlier, kept text?"""
    shingle_sets = [shingles(t) or {0} for t in texts]
    sig = signatures(shingle_sets)
    rows = NUM_PERM // BANDS
    band_keys = [np.ascontiguousarray(sig[:, b * rows:(b + 1) * rows]).view(np.dtype((np.void, rows * 8))).ravel()
                 for b in range(BANDS)]
    buckets: list[dict[bytes, list[int]]] = [{} for _ in range(BANDS)]
    dup = [False] * len(texts)
    for i in range(len(texts)):
        keys = [band_keys[b][i].tobytes() for b in range(BANDS)]
        seen: set[int] = set()
        for b, key in enumerate(keys):
            for j in buckets[b].get(key, ()):
                if j not in seen:
                    seen.add(j)
                    if jaccard(shingle_sets[i], shingle_sets[j]) >= threshold:
                        dup[i] = True
                        break
            if dup[i]:
                break
        if not dup[i]:
            for b, key in enumerate(keys):
                buckets[b].setdefault(key, []).append(i)
    return dup
