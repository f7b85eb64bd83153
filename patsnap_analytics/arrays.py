"""How a column's values become a typed pandas array, and typed arrays a frame: the result frame's hot path.

A result frame is typed column by column, each straight from its values (no frame of objects converted with
``astype``), in the dtypes :mod:`patsnap_analytics.frames` lists: ``string`` (Arrow text), ``Int64``, ``Float64``,
``boolean`` (NumPy values and a mask), ``datetime64[ns]`` and ``object``.

Why it is written this way (measured: ``benchmarks/bench_hot_path.py``, docs/benchmarks.md): a search's frame is
built right after a network wait, when the code it runs is out of the CPU's caches, so what a frame costs grows
with the number of distinct pandas functions it runs more than with its rows. Arrays are therefore made by
pandas' own constructors for values it can trust where this pandas has them (``_simple_new``, an Arrow string
array's ``_from_pyarrow_array``, ``pandas.api.internals.create_dataframe_from_blocks``), and by the public ones
where it has not; ``tests/test_frames.py`` holds that both make the same frame.

Example:
    >>> frame = frame_of_typed([typed_array(["a", None], "string"), typed_array([1, None], "Int64")],
    ...                        ("string", "Int64"), pd.Index(["text", "n"]), 2)
    >>> frame["text"].tolist(), frame["n"].tolist(), [str(t) for t in frame.dtypes]
    (['a', <NA>], [1, <NA>], ['string', 'Int64'])
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["frame_of_arrays", "frame_of_typed", "masked_array", "missing_array", "object_values", "same_array",
           "typed_array", "with_columns"]

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
NS_PER_DAY = 86_400 * 10**9
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
#: ``NaT`` as nanoseconds (``datetime64[ns]``'s missing value: the smallest int64)
NAT_NS = _INT64_MIN


@functools.cache
def _dtype(name: str) -> Any:
    return pd.api.types.pandas_dtype(name)


#: The nullable numeric dtypes built straight from a NumPy array and a mask, when every value is of the Python
#: types listed (anything else goes through pandas' own conversion, which decides what it accepts).
_MASKED: dict[str, tuple[Any, type, frozenset[type], Any]] = {  # NumPy type, array type, Python types, a filler
    "Int64": (np.int64, pd.arrays.IntegerArray, frozenset({int}), 0),
    "Float64": (np.float64, pd.arrays.FloatingArray, frozenset({float, int}), 0.0),
    "boolean": (np.bool_, pd.arrays.BooleanArray, frozenset({bool}), False),
}


def typed_array(values: list[Any], dtype: str) -> pd.api.extensions.ExtensionArray:
    """``values`` (one per row, ``None`` when missing) as a pandas array of ``dtype`` (a dtype of
    :data:`~patsnap_analytics.frames.FRAME_DTYPES` or ``ENRICHED_DTYPES``), built in one step: ``datetime64[ns]``
    arrays take days (:class:`datetime.date`), ``object`` arrays hold the values as they are (lists stay lists),
    the nullable ones (``string``, ``Int64``, ``Float64``, ``boolean``) are made by their own array type.

    Example:
        >>> typed_array([date(2020, 1, 31), None], "datetime64[ns]").tolist()
        [Timestamp('2020-01-31 00:00:00'), NaT]
        >>> typed_array([3, None], "Int64").tolist(), typed_array([["a", "b"], ["c", "d"]], "object").tolist()
        ([3, <NA>], [['a', 'b'], ['c', 'd']])
    """
    missing = values.count(None)
    if missing == len(values):  # a column no row fills (search-id's rich ones)
        return missing_array(dtype, len(values))
    if dtype == "object":
        return pd.arrays.NumpyExtensionArray(object_values(values))
    if dtype == "datetime64[ns]":
        ns = np.array([0 if d is None else d.toordinal() - EPOCH_ORDINAL for d in values], dtype=np.int64)
        ns *= NS_PER_DAY
        if missing:
            ns[[d is None for d in values]] = NAT_NS
        return pd.array(ns.view("datetime64[ns]"), copy=False)
    if dtype in _MASKED:
        array = _masked(values, dtype, missing)
        if array is not None:
            return array
    if dtype == "string":
        array = _text_array(values)
        if array is not None:
            return array
    return _converted(values, dtype)


def object_values(values: list[Any]) -> np.ndarray:
    """``values`` as a NumPy ``object`` array, element by element (``fromiter``): equal-length lists must not
    become a 2-D array. What :func:`frame_of_typed` takes for an ``object`` column.

    Example:
        >>> object_values([["a", "b"], ["c", "d"]]).shape
        (2,)
    """
    return np.fromiter(values, dtype=object, count=len(values))


def _converted(values: list[Any], dtype: str) -> pd.api.extensions.ExtensionArray:
    """``values`` converted to ``dtype`` as pandas converts them (whatever they hold)."""
    typed = _dtype(dtype)
    return typed.construct_array_type()._from_sequence(values, dtype=typed)


def same_array(value: Any, dtype: str, rows: int) -> Any:
    """``value`` in each of ``rows`` rows as an array of ``dtype`` for :func:`frame_of_typed` (the values
    :func:`typed_array` makes of that list), made without the list where the type allows: a search's query,
    search id and total are one value for every row, and search-id's rows fill none of the rich columns (their
    missing days are a NumPy array, which the frame takes as it is).

    Example:
        >>> same_array("q.png", "string", 2).tolist(), same_array(40, "Int64", 2).tolist()
        (['q.png', 'q.png'], [40, 40])
    """
    if value is None:
        return _no_days(rows) if dtype == "datetime64[ns]" else missing_array(dtype, rows)
    if dtype == "string" and type(value) is str and _arrow_strings():
        import pyarrow as pa

        array = _string_array(pa.repeat(pa.scalar(value, type=pa.large_string()), rows))
        if array is not None:
            return array
    if dtype == "Int64" and type(value) is int and _INT64_MIN <= value <= _INT64_MAX:
        return masked_array(pd.arrays.IntegerArray, np.full(rows, value, dtype=np.int64),
                             np.zeros(rows, dtype=np.bool_))
    return typed_array([value] * rows, dtype)


def missing_array(dtype: str, rows: int) -> pd.api.extensions.ExtensionArray:
    """``rows`` missing values of ``dtype``.

    Example:
        >>> missing_array("Int64", 2).tolist(), missing_array("object", 1).tolist()
        ([<NA>, <NA>], [None])
    """
    if dtype == "object":
        return pd.arrays.NumpyExtensionArray(np.full(rows, None, dtype=object))
    if dtype == "datetime64[ns]":
        return pd.array(_no_days(rows), copy=False)
    if dtype in _MASKED:
        np_type, array_type, _, _ = _MASKED[dtype]
        return masked_array(array_type, np.zeros(rows, dtype=np_type), np.ones(rows, dtype=np.bool_))
    if dtype == "string" and _arrow_strings():
        import pyarrow as pa

        array = _string_array(pa.nulls(rows, type=pa.large_string()))
        if array is not None:
            return array
    return _converted([None] * rows, dtype)


def _no_days(rows: int) -> np.ndarray:
    return np.full(rows, NAT_NS, dtype=np.int64).view("datetime64[ns]")


def _masked(values: list[Any], dtype: str, missing: int) -> pd.api.extensions.ExtensionArray | None:
    """A nullable numeric array from a NumPy array of the values and a mask of the missing ones (NaN is
    missing too, as pandas reads it), or ``None`` when a value is not of the dtype's plain Python types."""
    np_type, array_type, kinds, filler = _MASKED[dtype]
    filled = [filler if v is None else v for v in values] if missing else values
    if not kinds.issuperset(map(type, filled)):
        return None
    try:
        data = np.array(filled, dtype=np_type)
    except OverflowError:  # an integer past int64: pandas says how
        return None
    mask = np.fromiter((v is None for v in values), dtype=np.bool_, count=len(values)) if missing \
        else np.zeros(len(values), dtype=np.bool_)
    if np_type is np.float64:
        mask |= np.isnan(data)
    return masked_array(array_type, data, mask)


def masked_array(array_type: type, data: np.ndarray, mask: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A nullable array (``IntegerArray``, ``FloatingArray``, ``BooleanArray``) of ``data``, already of its
    NumPy type, where ``mask`` is False: made by pandas' constructor for arrays it made itself (``_simple_new``:
    no checks), else by the public one.

    Example:
        >>> masked_array(pd.arrays.IntegerArray, np.array([3, 0]), np.array([False, True])).tolist()
        [3, <NA>]
    """
    simple_new = _simple_new_of(array_type)
    return array_type(data, mask) if simple_new is None else simple_new(data, mask)


def _simple_new_of(array_type: type) -> Callable[..., Any] | None:
    return getattr(array_type, "_simple_new", None)


# ---------------------------------------------------------------------------------------------- text

@functools.cache
def _arrow_strings() -> bool:
    """Whether this pandas keeps the ``string`` dtype in Arrow (pandas 3 with pyarrow; pandas 2 keeps Python
    objects), so that a column of text is an ``ArrowStringArray`` built straight from an Arrow array."""
    return getattr(_dtype("string"), "storage", None) == "pyarrow"


def _text_array(values: list[Any]) -> pd.api.extensions.ExtensionArray | None:
    """A column of text (each value text or ``None``, as a checked answer holds them) as a ``string`` array made
    by Arrow in one C loop, with buffers of its own (a frame's text columns in one Arrow array, sliced, were a
    little faster, but a column kept alone then kept every other one alive: 12x the memory for the patent ids of
    200 frames). ``None`` when this pandas keeps strings elsewhere, or when a value is not text (convert the
    column as pandas converts it)."""
    if not _arrow_strings():
        return None
    import pyarrow as pa  # loaded by pandas already when it keeps strings in Arrow

    try:
        return _string_array(pa.array(values, type=pa.large_string()))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def _string_array(text: Any) -> pd.api.extensions.ExtensionArray | None:
    """An Arrow ``large_string`` array as the ``string`` dtype's array, ``None`` when this pandas cannot:
    made as pandas makes the result of an operation on such an array (from an empty one of the dtype), else by
    the public constructor."""
    template = _string_template()
    if template is not None:
        return template._from_pyarrow_array(text)
    try:
        return pd.arrays.ArrowStringArray(text, dtype=_dtype("string"))
    except TypeError:  # pandas 2.2 takes no dtype: its array is the string dtype when the option says so
        array = pd.arrays.ArrowStringArray(text)
        return array if array.dtype == _dtype("string") else None


@functools.cache
def _string_template() -> Any:
    """An empty ``string`` array whose ``_from_pyarrow_array`` makes arrays of its dtype, or ``None``."""
    template = pd.array([], dtype=_dtype("string"))
    return template if hasattr(template, "_from_pyarrow_array") else None


# ---------------------------------------------------------------------------------------------- frames

def frame_of_typed(arrays: list[Any], dtypes: Sequence[str], columns: pd.Index, rows: int) -> pd.DataFrame:
    """A frame of ``arrays`` (typed as ``dtypes`` say, each ``rows`` long, owned by the frame from now on;
    ``datetime64[ns]`` and ``object`` columns as NumPy or pandas arrays) labelled ``columns``, on ``0 .. rows-1``.

    It is laid out as pandas lays out such a frame — an extension array per block, the ``datetime64[ns]``
    columns in one 2-D block, the ``object`` ones in another — and made by
    ``pandas.api.internals.create_dataframe_from_blocks`` (public since pandas 3.0), with the datetime block
    already pandas' array: 69 distinct pandas functions instead of 122 for a result frame. Without it, by
    :func:`frame_of_arrays`.

    Example:
        >>> days = np.array(["2020-01-31"], dtype="datetime64[ns]")
        >>> frame_of_typed([days, typed_array([["a"]], "object")], ("datetime64[ns]", "object"),
        ...                pd.Index(["day", "names"]), 1).iloc[0].tolist()
        [Timestamp('2020-01-31 00:00:00'), ['a']]
    """
    constructors = _block_constructors()
    if constructors is None:
        return frame_of_arrays(arrays, columns, rows)
    create_dataframe_from_blocks, datetime_array = constructors
    alone, stacked = _layout(tuple(dtypes))
    blocks = [(arrays[i], place) for i, place in alone]
    for dtype, places in stacked:  # same-dtype NumPy columns: one 2-D block (what pandas consolidates them to)
        block = np.empty((len(places), rows), dtype=_dtype(dtype))
        for row, i in enumerate(places):
            block[row] = arrays[i]
        blocks.append((datetime_array(block, dtype=block.dtype) if dtype == "datetime64[ns]" else block,
                       np.array(places, dtype=np.intp)))
    return create_dataframe_from_blocks(blocks, index=_range_index(rows).view(), columns=columns)


@functools.lru_cache(maxsize=64)
def _range_index(rows: int) -> pd.RangeIndex:
    """``0 .. rows - 1``, made once per length (each frame gets a view: an index of its own on the same range)."""
    return pd.RangeIndex(rows)


@functools.cache
def _block_constructors() -> tuple[Callable[..., pd.DataFrame], Callable[..., Any]] | None:
    """pandas' frame-from-blocks constructor and its datetime array's, or ``None`` when this pandas lacks one."""
    try:
        from pandas.api.internals import create_dataframe_from_blocks

        return create_dataframe_from_blocks, pd.arrays.DatetimeArray._simple_new
    except (ImportError, AttributeError):
        return None


#: The dtypes whose columns pandas keeps together in one 2-D NumPy block.
_STACKED = ("datetime64[ns]", "object")


@functools.cache
def _layout(dtypes: tuple[str, ...]) -> tuple[list[tuple[int, slice]], list[tuple[str, list[int]]]]:
    """Which columns are a block each (with their place), and which are stacked in one block per dtype."""
    alone = [(i, slice(i, i + 1)) for i, dtype in enumerate(dtypes) if dtype not in _STACKED]
    stacked = [(dtype, [i for i, d in enumerate(dtypes) if d == dtype]) for dtype in _STACKED if dtype in dtypes]
    return alone, stacked


def frame_of_arrays(arrays: list[Any], columns: pd.Index, rows: int, index: pd.Index | None = None) -> pd.DataFrame:
    """A frame of ``arrays`` (one typed array per column, each ``rows`` long, owned by the frame from now on)
    labelled ``columns``, on ``index`` (default: ``0 .. rows - 1``): any arrays, whatever their dtypes.

    It is made by ``DataFrame._from_arrays``, the constructor pandas' own readers use: given arrays it already
    trusts, it skips the dict and the checks a frame of unknown values needs, half the work of
    ``pd.DataFrame(dict)`` (0.66 M instructions instead of 1.31 M for a result frame of 100 rows). It is not
    public API, so a pandas without it (or with another signature) gets the public constructor;
    ``tests/test_frames.py`` holds that both give the same frame.

    Example:
        >>> frame_of_arrays([typed_array([1, None], "Int64")], pd.Index(["n"]), 2)["n"].tolist()
        [1, <NA>]
    """
    index = pd.RangeIndex(rows) if index is None else index
    try:
        return pd.DataFrame._from_arrays(arrays, columns=columns, index=index, verify_integrity=False)
    except (AttributeError, TypeError):
        return pd.DataFrame(dict(zip(columns, arrays, strict=True)), index=index, copy=False)


def with_columns(df: pd.DataFrame, columns: Mapping[str, Any]) -> pd.DataFrame:
    """A copy of ``df`` (its rows, index and columns; not its ``attrs``) with ``columns`` (name -> typed array, one
    value per row) set: a column ``df`` has is replaced where it stands, the others come last, in order.

    One frame made from the columns' arrays (:func:`frame_of_arrays`), not a column set at a time: enrichment
    sets 8-12 columns, and each ``df[name] = ...`` rebuilds pandas' bookkeeping (about 55 us each). A frame whose
    column labels repeat, or are not plain labels, gets them set one at a time.

    Example:
        >>> out = with_columns(pd.DataFrame({"a": [1, 2], "b": [3, 4]}, index=[7, 9]),
        ...                    {"b": typed_array([5, None], "Int64"), "c": typed_array(["x", "y"], "string")})
        >>> out.to_dict("list"), list(out.index)
        ({'a': [1, 2], 'b': [5, None], 'c': ['x', 'y']}, [7, 9])
    """
    plain = pd.DataFrame(df, copy=False)  # without attrs: pandas deep-copies them on every column read
    if not plain.columns.is_unique or isinstance(plain.columns, pd.MultiIndex):
        out = plain.copy()
        for name, values in columns.items():
            out[name] = values
        return out
    names = [*plain.columns, *(c for c in columns if c not in plain.columns)]
    # every array copied (cheap for Arrow's immutable ones): the new frame shares no array with ``df``
    arrays = [columns[c] if c in columns else plain[c].array.copy() for c in names]
    labels = pd.Index(names, dtype=object if plain.columns.dtype == object else None)  # as df[name] = ... makes them
    return frame_of_arrays(arrays, labels, len(plain), index=plain.index.copy())
