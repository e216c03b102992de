"""Stored records as one operation's items: what a list or an export sends of each record.

A collection's records are stored in one shape, every field any of its read operations
declares (``Collection.properties``, in that order: the list's fields first), so that one stored
JSON serves them all. An operation that declares fewer fields must not send the others (the
jobs list declares no ``active``, which the jobs export does), and one that types a field
differently gets it reshaped (a call's export types ``type`` as a string). What to do is
decided once per operation (:func:`projection`), never per record:

* the very fields stored: the stored JSON as it is;
* the stored fields but the last few (the jobs list): the stored JSON cut before them. Each
  record's tail is checked to be exactly those fields (a record stored another way, say
  reformatted by PostgreSQL's ``jsonb``, is picked field by field instead);
* any other subset of the stored fields: picked field by field with msgspec, each field's
  value kept as its raw JSON (``msgspec.Raw``): no value is decoded or encoded again, but those
  this operation types differently;
* anything else (fields that are not stored): decoded and shaped to the operation's schema.

Decoding and encoding whole records was most of a 50-job filtered page's CPU (decision 0270).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import msgspec

from localtitan.handling.shaping import shape
from localtitan.spec import Manifest
from localtitan.store.records import decode, encode

__all__ = ["Projection", "as_stored", "projection"]

_KNOWN_TAILS = 16

# Stored rows (bytes on both drivers; str or a buffer from elsewhere) to the items' JSON.
Projection = Callable[[Sequence[Any]], list[bytes]]


def _bytes(row: Any) -> bytes:
    return row if type(row) is bytes else row.encode() if isinstance(row, str) else bytes(row)


def as_stored(rows: Sequence[Any]) -> list[bytes]:
    # Both drivers return bytes. A page's rows are one column of one statement, decoded
    # alike, so the first row's type is every row's (decision 0340: a set of the types of
    # 50 rows was about 3,000 instructions a page); anything else is converted row by row.
    if rows and type(rows[0]) is bytes and type(rows[-1]) is bytes:
        return rows if type(rows) is list else list(rows)
    return [r if type(r) is bytes else _bytes(r) for r in rows]


def projection(
    manifest: Manifest,
    stored: Mapping[str, Any],
    item: Mapping[str, Any] | None,
    declared: Mapping[str, Any],
) -> Projection:
    """How records stored with the fields ``stored`` (name -> schema) become items of the
    schema ``item``, whose top-level fields are ``declared``."""
    if item is None:
        return as_stored
    if declared and declared == stored:
        return as_stored
    if not declared or not set(declared) <= set(stored):
        return _reshaped(manifest, item)
    names = list(declared)
    differ = {n for n in names if declared[n] != stored[n]}
    fields = _fields(manifest, declared, differ)
    if not differ and list(stored)[: len(names)] == names:
        return _cut(list(stored)[len(names) :], fields)
    return fields


def _reshaped(manifest: Manifest, item: Mapping[str, Any]) -> Projection:
    def reshape(rows: Sequence[Any]) -> list[bytes]:
        return [encode(shape(manifest, item, decode(r))) for r in rows]

    return reshape


def _fields(manifest: Manifest, declared: Mapping[str, Any], differ: set[str]) -> Projection:
    """The declared fields picked from each record, in the declared order, their values left
    as raw JSON; a stored record lacking one does not get it made up."""
    names = list(declared)
    attrs = [f"f{i}" for i in range(len(names))]
    # A Struct of raw values: msgspec skips over (and checks) each value rather than building
    # it, ignores fields not named here and writes the raw values back out as they came.
    picked = msgspec.defstruct(
        "Picked",
        [(a, msgspec.Raw | msgspec.UnsetType, msgspec.UNSET) for a in attrs],
        rename=dict(zip(attrs, names, strict=True)),
        omit_defaults=True,
        gc=False,
    )
    decoder = msgspec.json.Decoder(picked)
    encoder = msgspec.json.Encoder()
    reshaped = [(a, declared[n]) for a, n in zip(attrs, names, strict=True) if n in differ]

    def pick(rows: Sequence[Any]) -> list[bytes]:
        out = []
        for row in rows:
            record = decoder.decode(row)
            for attr, schema in reshaped:
                raw = getattr(record, attr)
                if raw is not msgspec.UNSET:
                    value = shape(manifest, schema, decode(raw), 1)
                    setattr(record, attr, msgspec.Raw(encode(value)))
            out.append(encoder.encode(record))
        return out

    return pick


def _cut(tail: list[str], otherwise: Projection) -> Projection:
    """Records whose last stored fields are ``tail`` (and none of them declared): each record
    up to where they start. The tail is found from the end and checked to be those fields and
    nothing else; a record that does not end so is picked by ``otherwise``."""
    first = b',"' + tail[0].encode() + b'":'
    tail_decoder = msgspec.json.Decoder(dict[str, msgspec.Raw])
    # Tails already checked (`,"active":true}` and `,"active":false}` for the jobs list): a
    # few, when the tail's values are flags; checking one again costs more than the cut.
    known: set[bytes] = set()

    def ends_with_tail(data: bytes, at: int) -> bool:
        end = data[at:]
        if end in known:
            return True
        try:
            rest = tail_decoder.decode(b"{" + end[1:])
        except msgspec.DecodeError:
            return False
        # An unescaped `,"name":` is never inside a string, so ``at`` starts a key; as what
        # follows is a whole object's remainder, that key is a top-level one, and its keys
        # being the tail's (in order), nothing declared comes after it. (Nothing undeclared
        # comes before it either: stored JSON holds only the collection's fields.)
        if list(rest) != tail:
            return False
        if len(known) < _KNOWN_TAILS:
            known.add(end)
        return True

    def cut(rows: Sequence[Any]) -> list[bytes]:
        out = []
        for row in rows:
            data = row if type(row) is bytes else _bytes(row)
            at = data.rfind(first)
            if at > 0 and ends_with_tail(data, at):
                out.append(data[:at] + b"}")
            else:
                out.extend(otherwise((data,)))
        return out

    return cut
