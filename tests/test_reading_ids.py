"""The ids' codes whatever the type and the batches the ids come in.

The reader codes ids given as integers by their value (no text, no hash per id), and looks up
each value of a Parquet row group's dictionary once for all the row group's batches. Those are
fast paths beside the plain one (each batch's distinct ids as stripped text): on generated
batches of integers, text, blank-padded text and shared dictionaries, in any order, the codes
are those of a plain oracle (a dict of the ids' text in the order first seen), with ids
sharing their hash too, and whole reads give the same baskets as the same ids as text.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import recommender.io.orders as orders
from recommender.io.orders import ColumnSpec, long_from_batches

from .test_reading_batches import _same

VALUES = list(range(-3, 12))
# Two dictionaries of every value, in two orders: batches of one share it, as a row group's do.
DICTIONARIES = (
    pa.array([str(v) for v in VALUES]),
    pa.array([f" {v}" for v in reversed(VALUES)]),
)
KINDS = ("integers", "text", "padded text", "dictionary 0", "dictionary 1")


def _batch(values: list[int | None], kind: str) -> pa.Array:
    """The batch's ids (None: missing) as an Arrow array of that kind."""
    if kind == "integers":
        return pa.array(values, type=pa.int64())
    if kind == "text":
        return pa.array([None if v is None else str(v) for v in values])
    if kind == "padded text":
        return pa.array([None if v is None else f"  {v} " for v in values])
    dictionary = DICTIONARIES[int(kind[-1])]
    places = {str(v).strip(): k for k, v in enumerate(dictionary.to_pylist())}
    indices = pa.array([None if v is None else places[str(v)] for v in values], type=pa.int32())
    return pa.DictionaryArray.from_arrays(indices, dictionary)


batches = st.lists(
    st.tuples(st.lists(st.one_of(st.none(), st.sampled_from(VALUES)), max_size=10), st.sampled_from(KINDS)),
    min_size=1,
    max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(batches=batches, clashing=st.booleans())
def test_ids_are_coded_as_their_text_whatever_their_type(batches, clashing):
    """Each id's code is its text's, stripped, in the order the batches' distinct ids come.
    With ids sharing their hash, an id that clashes is coded after the others of its batch
    (as for text ids): then each line's code still names its id, one code per id."""
    with pytest.MonkeyPatch.context() as patch:
        if clashing:  # three hashes for all the ids: the integers turned text clash too
            real = orders._hash
            patch.setattr(orders, "_hash", lambda values: real(values) % 3)
        ids, oracle, lines, codes = orders._Ids(), {}, [], []
        for values, kind in batches:
            coded = orders._code_batch(_batch(values, kind))
            value_codes = [oracle.setdefault(str(v).strip(), len(oracle)) for v in coded.values]
            expected = [value_codes[c] if c >= 0 else -1 for c in coded.codes.tolist()]
            got = ids.encode(coded).tolist()
            if not clashing:
                assert got == expected
            lines += [None if v is None else str(v) for v in values]
            codes += got
            assert len(ids) == len(oracle)
        ids.close()
        labels = ids.labels().tolist()
        assert sorted(labels) == sorted(oracle) and len(set(labels)) == len(labels)
        assert [None if c < 0 else labels[c] for c in codes] == lines
        if not clashing:
            assert labels == list(oracle)
            assert ids.take(np.arange(len(oracle))[::-1]).tolist() == list(oracle)[::-1]


def test_integer_ids_then_text_ids_read_as_text_throughout():
    """A database's chunks may type a column as integers in one and text in the next: the
    baskets are those of every chunk as text."""
    orders_of = [[1, 1, 2, 3], [3, 4, 4, 10], [10, 5, 1, 6]]
    items_of = [[7, 8, 7, 9], [8, 7, 9, 9], [7, 8, 7, 9]]

    def read(kinds: tuple[str, str]) -> object:
        chunks = [
            {"order": _batch(o, kinds[0] if k != 1 else kinds[1]), "item": _batch(i, kinds[1])}
            for k, (o, i) in enumerate(zip(orders_of, items_of))
        ]
        return long_from_batches(["order", "item"], chunks, columns=ColumnSpec(), what="t", source=None)

    text = read(("text", "text"))
    mixed = read(("integers", "padded text"))
    assert text.basket_ids == ("1", "2", "3", "4", "10", "5", "6")
    _same(mixed, text)
