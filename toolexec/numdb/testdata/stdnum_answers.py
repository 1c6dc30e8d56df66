"""Answers python-stdnum gives for the numbers on stdin (JSON), for the
conformance test of toolexec/numdb. Reads {"isbn": [...], "iban": [...],
"cfi": [...], "imsi": [...]} and writes the same keys with one answer each."""
import json
import sys

from stdnum import cfi, iban, imsi, isbn


def isbn_answer(n):
    if not isbn.is_valid(n):
        return {"valid": False}
    out = {"valid": True, "isbn13": isbn.to_isbn13(n), "hyphenated13": isbn.format(n, convert=True)}
    try:
        out["isbn10"] = isbn.to_isbn10(n)
        out["hyphenated10"] = isbn.format(isbn.to_isbn10(n))
    except Exception:
        out["isbn10"] = None
    return out


def cfi_answer(n):
    try:
        return {"valid": True, "info": cfi.info(n)}
    except Exception as e:
        return {"valid": False, "error": type(e).__name__}


def imsi_answer(n):
    try:
        return {"valid": True, "info": imsi.info(n)}
    except Exception as e:
        return {"valid": False, "error": type(e).__name__}


q = json.load(sys.stdin)
json.dump({
    "isbn": [isbn_answer(n) for n in q["isbn"]],
    "iban": [iban.is_valid(n, check_country=False) for n in q["iban"]],
    "cfi": [cfi_answer(n) for n in q["cfi"]],
    "imsi": [imsi_answer(n) for n in q["imsi"]],
}, sys.stdout)
