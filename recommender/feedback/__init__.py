"""Feedback: the events shops report, the control arm, and the report of what suggestions sell.

>>> from recommender.feedback import assign_arm
>>> assign_arm("cart-42", share=0.0)
'treatment'
"""

from __future__ import annotations

from .arms import DEFAULT_SALT, Arm, assign_arm
from .attach import AttachCounts, attach_counts
from .report import AttachRate, FeedbackReport, Uplift, feedback_report
from .store import EVENT_TYPES, Event, EventStore, OrderLine, Served, cart_items_behind
from .writer import GroupWriter

__all__ = [
    "Arm",
    "DEFAULT_SALT",
    "assign_arm",
    "AttachCounts",
    "attach_counts",
    "EVENT_TYPES",
    "Event",
    "EventStore",
    "OrderLine",
    "Served",
    "cart_items_behind",
    "GroupWriter",
    "AttachRate",
    "FeedbackReport",
    "Uplift",
    "feedback_report",
]
