"""Lines of an order that are not merchandise: postage, fees, adjustments, vouchers, coupons.

Shops write their services and bookkeeping into the same order lines as their products:
Online Retail has ``POST`` (POSTAGE), ``DOT`` (DOTCOM POSTAGE), ``M`` (Manual), ``C2``
(CARRIAGE), ``BANK CHARGES``, ``AMAZONFEE``, gift vouchers; Complete Journey has coupon
records. Such an item is bought with everything, so it tops the rules, the bundles and the
free-shipping nudge, yet no shopper wants it suggested. Reading leaves those lines out, like
cancellations, and counts them, so they never reach the model.

The rule, applied to the lines a long order table keeps (cancellations and returns already
dropped), is :func:`find_non_products`; its docstring states it. Callers can add items
(``exclude``) and protect items (``keep``); see :class:`NonProductOptions`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import ConfigError, InputError

__all__ = [
    "SERVICE_WORDS",
    "LeftOut",
    "NonProductOptions",
    "service_word",
    "find_non_products",
    "never_sold",
    "read_item_list",
]

# Words that, as the last word of a description, name a service or a bookkeeping line rather
# than goods. The last word, because an English product name ends in its head noun: "DOTCOM
# POSTAGE", "Next Day Carriage", "PACKING CHARGE", "Gift Voucher £10.00" are services, while
# "FRENCH CARRIAGE LANTERN" and "CARRIAGE CLOCK" are goods. Compared singular, lower-cased.
SERVICE_WORDS = frozenset(
    {
        "postage",
        "carriage",
        "delivery",
        "shipping",
        "freight",
        "fee",
        "charge",
        "surcharge",
        "commission",
        "manual",
        "adjustment",
        "debt",
        "discount",
        "sample",
        "voucher",
        "coupon",
        "deposit",
        "giftcard",
        "refund",
    }
)
# "gift card" is two words: its last one alone ("card") names goods.
_SERVICE_PAIRS = frozenset({("gift", "card")})

# Rule 2: a shop whose codes hold digits (85123A, 22423) at least this often...
DIGIT_CODE_SHARE = 0.9
# ...and has at least this many items to tell its usual shape from...
MIN_ITEMS_FOR_SHAPE = 20
# ...writes a code of letters only (POST, DOT, M) for something else when its price is no
# price: under one hundredth of the currency unit on its median line, or spread over more than
# this factor between its cheapest and dearest line (a product's dearest line in Online Retail
# is at most about 40 times its cheapest; postage and manual lines span thousands).
PRICE_SPREAD = 100.0
LEAST_PRICE = 0.01
# Rule 3: an item most of whose lines sell nothing (no quantity or no value) is a record, such
# as a coupon redemption, not a sale; this many lines at least, so a few free lines of a
# product are not enough.
NOTHING_SOLD_SHARE = 0.9
NOTHING_SOLD_MIN_LINES = 10

_AMOUNT = re.compile(r"\S*\d\S*")  # "£10.00", "500g", "20cm", "x12": not words


@dataclass(frozen=True, kw_only=True)
class LeftOut:
    """One item left out when reading: its id, its order lines dropped, and why.

    Examples
    --------
    >>> LeftOut(item="POST", lines=1130, reason="description 'POSTAGE' names a service").as_dict()["lines"]
    1130
    """

    item: str
    lines: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"item": self.item, "lines": self.lines, "reason": self.reason}

    @classmethod
    def from_dict(cls, value: Any) -> LeftOut:
        if isinstance(value, LeftOut):
            return value
        return cls(item=str(value["item"]), lines=int(value["lines"]), reason=str(value.get("reason", "")))


@dataclass(frozen=True, kw_only=True)
class NonProductOptions:
    """What reading leaves out besides cancellations and returns.

    Parameters
    ----------
    detect : bool
        Find non-product lines in long order tables by :func:`find_non_products` (default).
    exclude : frozenset of str
        Items to leave out as well, in any input format (basket files too).
    keep : frozenset of str
        Items never left out, whatever the detection says.

    Examples
    --------
    >>> NonProductOptions.of(exclude=["DOT"], keep=["PADS"]).exclude
    frozenset({'DOT'})
    >>> NonProductOptions.of(exclude=["DOT"], keep=["DOT"])
    Traceback (most recent call last):
    ...
    recommender.exceptions.ConfigError: item 'DOT' is both to exclude and to keep; name it in one of exclude_items (--exclude-items) and keep_items (--keep-items).
    """  # noqa: E501

    detect: bool = True
    exclude: frozenset[str] = field(default_factory=frozenset)
    keep: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not isinstance(self.detect, bool):
            raise ConfigError(f"detect_non_products must be True or False, got {self.detect!r}.")
        both = sorted(self.exclude & self.keep)
        if both:
            raise ConfigError(
                f"item {both[0]!r} is both to exclude and to keep; name it in one of exclude_items "
                "(--exclude-items) and keep_items (--keep-items)."
            )

    @classmethod
    def of(
        cls, *, detect: bool = True, exclude: Iterable[Any] | None = None, keep: Iterable[Any] | None = None
    ) -> NonProductOptions:
        """Options from any iterables of ids (strings, or anything ``str`` turns into an id)."""
        return cls(detect=detect, exclude=_ids(exclude, "exclude_items"), keep=_ids(keep, "keep_items"))

    def as_dict(self) -> dict[str, Any]:
        return {"detect": self.detect, "exclude_items": sorted(self.exclude), "keep_items": sorted(self.keep)}


def _ids(values: Iterable[Any] | None, what: str) -> frozenset[str]:
    if values is None:
        return frozenset()
    if isinstance(values, (str, bytes)):
        raise ConfigError(f"{what} must be a list of item ids, got the string {values!r}; pass [{values!r}].")
    ids = {str(value).strip() for value in values}
    return frozenset(i for i in ids if i)


def service_word(description: object) -> str | None:
    """The service word a description ends in, or None when it names goods.

    Amounts, sizes and currency signs are set aside, the last word is compared singular and
    lower-cased with :data:`SERVICE_WORDS` ("gift card" too).

    Examples
    --------
    >>> service_word("DOTCOM POSTAGE"), service_word("Dotcomgiftshop Gift Voucher £10.00")
    ('postage', 'voucher')
    >>> service_word("Bank Charges"), service_word("Adjust bad debt"), service_word("gift card 25")
    ('charge', 'debt', 'gift card')
    >>> service_word("FRENCH CARRIAGE LANTERN"), service_word("ZINC HEART LATTICE CHARGER LARGE")
    (None, None)
    """
    if description is None or (isinstance(description, float) and np.isnan(description)):
        return None
    words = re.findall(r"[a-z]+", _AMOUNT.sub(" ", str(description).lower()))
    if not words:
        return None
    last = _singular(words[-1])
    if last in SERVICE_WORDS:
        return last
    if len(words) >= 2 and (words[-2], last) in _SERVICE_PAIRS:
        return f"{words[-2]} {last}"
    return None


def _singular(word: str) -> str:
    return word[:-1] if word.endswith("s") and not word.endswith("ss") and len(word) > 3 else word


def find_non_products(
    items: pd.Series,
    *,
    names: pd.Series | None = None,
    unit_prices: pd.Series | None = None,
    nothing_sold: pd.Series | None = None,
) -> dict[str, str]:
    """The items of an order table's lines that are not merchandise, with the reason for each.

    An item is a non-product line when one of three things holds; each rule needs a column
    the table may lack, and is skipped without it:

    1. **Its description names a service** (needs descriptions): the last word of its most
       common description, amounts and currency signs set aside, is one of
       :data:`SERVICE_WORDS` (postage, carriage, delivery, shipping, freight, fee, charge,
       surcharge, commission, manual, adjustment, debt, discount, sample, voucher, coupon,
       deposit, gift card, refund). The last word, because a product's name ends in what it
       is: "DOTCOM POSTAGE" and "Next Day Carriage" are services, "CARRIAGE CLOCK" is goods.
    2. **Its code is letters only in a shop of codes with digits, and it has no price of its
       own** (needs prices): at least 90 % of the shop's item codes (of 20 or more) hold a
       digit (85123A, 22423), this one none (POST, DOT, M, PADS), and its unit price is under
       0.01 on its median line or spans more than 100-fold between its lines (postage and
       manual lines are priced per order). A letters-only code sold at a steady price
       (DCGSSBOY, a party bag at 3.29) is a product.
    3. **It is never sold** (needs quantities or prices): at least 90 % of its lines, and 10
       or more, sell nothing (zero quantity or zero value), as Complete Journey's coupon
       records do.

    Parameters
    ----------
    items : pandas.Series
        The item id of each kept line.
    names, unit_prices, nothing_sold : pandas.Series, optional
        Aligned with ``items``: the line's description, unit price, and whether it sold
        nothing (zero quantity or zero value).

    Returns
    -------
    dict
        Item id -> the reason, in words.

    Examples
    --------
    >>> lines = pd.Series(["85123A", "POST", "22423", "POST"])
    >>> find_non_products(lines, names=pd.Series(["T-LIGHT HOLDER", "POSTAGE", "CAKESTAND", "POSTAGE"]))
    {'POST': "description 'POSTAGE' names a service"}
    """
    items = items.reset_index(drop=True).astype(object)
    found: dict[str, str] = {}
    if names is not None:
        frame = pd.DataFrame({"item": items, "name": names.reset_index(drop=True).astype(object)}).dropna()
        if len(frame):
            counts = frame.groupby(["item", "name"], sort=False).size().reset_index(name="n")
            counts = counts.sort_values(["item", "n", "name"], ascending=[True, False, True])
            for item, name in counts.drop_duplicates("item")[["item", "name"]].itertuples(index=False):
                if service_word(name) is not None:
                    found[str(item)] = f"description {str(name).strip()!r} names a service"
    if unit_prices is not None:
        found.update(_odd_codes_without_a_price(items, unit_prices.reset_index(drop=True), skip=found))
    if nothing_sold is not None:
        frame = pd.DataFrame({"item": items, "none": nothing_sold.reset_index(drop=True).fillna(False).astype(bool)})
        tally = frame.groupby("item", sort=True)["none"].agg(["size", "sum"])
        for item, reason in never_sold(tally.index, tally["size"].to_numpy(), tally["sum"].to_numpy()).items():
            found.setdefault(item, reason)
    return dict(sorted(found.items()))


def never_sold(items: Sequence[Any], lines: np.ndarray, nothing_sold: np.ndarray) -> dict[str, str]:
    """Rule 3 of :func:`find_non_products` on tallies: each item's lines and how many of them
    sell nothing (aligned with ``items``), as a reader counting its lines batch by batch has them.

    Examples
    --------
    >>> never_sold(["COUPON", "TEA"], np.array([12, 40]), np.array([12, 1]))
    {'COUPON': 'never sold: 12 of its 12 lines have no quantity or value'}
    """
    never = (lines >= NOTHING_SOLD_MIN_LINES) & (nothing_sold >= NOTHING_SOLD_SHARE * lines)
    return {
        str(items[j]): f"never sold: {int(nothing_sold[j]):,} of its {int(lines[j]):,} lines have no quantity or value"
        for j in np.flatnonzero(never).tolist()
    }


def _odd_codes_without_a_price(items: pd.Series, prices: pd.Series, *, skip: dict[str, str]) -> dict[str, str]:
    distinct = pd.Series(items.unique()).astype(str)
    if len(distinct) < MIN_ITEMS_FOR_SHAPE:
        return {}
    has_digit = distinct.str.contains(r"\d")
    if has_digit.mean() < DIGIT_CODE_SHARE:
        return {}
    letters_only = set(distinct[~has_digit]) - set(skip)
    if not letters_only:
        return {}
    mask = items.astype(str).isin(letters_only).to_numpy()
    frame = pd.DataFrame({"item": items[mask].astype(str), "price": prices[mask].astype(float)}).dropna()
    found: dict[str, str] = {}
    for item, group in frame.groupby("item", sort=True)["price"]:
        median = float(group.median())
        positive = group[group > 0]
        spread = float(positive.max() / positive.min()) if len(positive) else 1.0
        if median < LEAST_PRICE:
            found[str(item)] = (
                f"code {item!r} is letters only, unlike the shop's codes, and its median price is {median:g}"
            )
        elif spread > PRICE_SPREAD:
            found[str(item)] = (
                f"code {item!r} is letters only, unlike the shop's codes, and its price spans "
                f"{positive.min():g} to {positive.max():g}"
            )
    return found


def read_item_list(values: Iterable[str]) -> tuple[str, ...]:
    """Item ids from the command line: each value is an id, or a file listing ids.

    A value naming an existing file is read as ids, one per line (blank lines and text after
    ``#`` ignored; a CSV's first column); any other value is an id itself.

    Examples
    --------
    >>> read_item_list(["DOT", "POST"])
    ('DOT', 'POST')
    """
    from .source import open_text

    ids: list[str] = []
    for value in values:
        path = Path(value)
        if not path.is_file():
            ids.append(value)
            continue
        try:
            with open_text(path) as handle:
                for line in handle:
                    text = line.split("#", 1)[0].strip()
                    if "," in text:
                        text = text.split(",", 1)[0].strip().strip('"')
                    if text:
                        ids.append(text)
        except (OSError, EOFError, UnicodeDecodeError) as error:
            raise InputError(
                f"cannot read the list of items {value!r}: {error}; pass a text file, one id per line."
            ) from None
    return tuple(dict.fromkeys(ids))
