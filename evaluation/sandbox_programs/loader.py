"""Decoder of test data too large (or not literal-safe) to embed as Python source (``code_exec.embed_value``).

Embedded before a suite's generated call, which then holds ``_fcx_load("<base64>")`` instead of a literal.
"""

import binascii as _fcx_binascii
import zlib as _fcx_zlib
from typing import Any as _FcxAny


def _fcx_load(text: str) -> _FcxAny:
    """Inverse of ``code_exec.embed_value``'s blob: base64 of zlib of ``b"M" + marshal`` (or ``b"P" + pickle``,
    for values marshal cannot hold). The blob is ours, written by the trusted side."""
    raw = _fcx_zlib.decompress(_fcx_binascii.a2b_base64(text))
    if raw[:1] == b"M":
        import marshal

        return marshal.loads(raw[1:])
    import pickle

    return pickle.loads(raw[1:])
