"""Where a shipment stands, read from the words of one e-mail.

Bodies are full of stage names that are not statements: progress bars ("Ordered  Shipped  Out
for delivery  Delivered"), promises ("you'll get an e-mail once it is delivered") and
disclaimers ("deliveries may be delayed"). So in a body a stage counts only in a statement
("has shipped", "was delivered", "is out for delivery") that no modal, condition or negation
qualifies; a subject line is a headline, and a bare stage word there ("Delivered: ...") counts.
The subject speaks first; of several stages the most advanced one wins.
"""

from __future__ import annotations

import re
from enum import StrEnum


class ShipmentStatus(StrEnum):
    ordered = "ordered"
    shipped = "shipped"
    in_transit = "in_transit"
    out_for_delivery = "out_for_delivery"
    #: Delayed, failed or attempted delivery, held, returned: the shipment needs attention.
    exception = "exception"
    delivered = "delivered"


#: Which stage wins when one e-mail states several: the most advanced. An exception outranks
#: the stages before it (it is news about them) but not delivery, which ends the story.
RANK = {status: rank for rank, status in enumerate(ShipmentStatus)}

_STATEMENTS: dict[ShipmentStatus, str] = {
    ShipmentStatus.ordered: (
        r"order (?:#?\s?[\w-]+ )?(?:has been |was |is )?(?:received|placed|confirmed)"
        r"|thanks? (?:you )?for (?:your )?(?:order|purchase|shopping)|order confirmation|we(?:'ve| have) received your order"
    ),
    ShipmentStatus.shipped: (
        r"(?:has|have|was|were|is|are|got)(?: been)?(?: now)? (?:shipped|dispatched)|shipped (?:on|via|with|today|from)"
        r"|(?:is|are) (?:now )?on (?:its|their|the) way|on its way to you|ship(?:ping|ment) confirmation"
        r"|we(?:'ve| have) shipped|(?:shipping )?label (?:has been |was )?created|(?:has|have) left our (?:warehouse|facility)"
    ),
    ShipmentStatus.in_transit: (
        r"in transit|(?:arrived|departed) (?:at|from) (?:a |the |our )?[\w ]{0,30}(?:facility|hub|center|centre)"
        r"|(?:is|are) on the move|moving through (?:the |our )?network|(?:has been|was) picked up|picked up by (?:the )?carrier"
    ),
    ShipmentStatus.out_for_delivery: (
        r"(?:is|are|'s|now) out for delivery|out for delivery today|arriving today|scheduled for delivery today"
    ),
    ShipmentStatus.exception: (
        r"delayed|running late|delivery (?:attempt(?:ed)?|exception|failed|was unsuccessful|delay)"
        r"|(?:failed|missed|unsuccessful) delivery|(?:attempted|tried) (?:to deliver|delivery)|unable to deliver"
        r"|(?:could not|couldn't|cannot|can't) be delivered|return(?:ed)? to sender|damaged in transit"
        r"|held (?:at|for pickup)|(?:address|customs) (?:issue|problem|hold)"
    ),
    ShipmentStatus.delivered: (
        r"(?:has|have)(?: been)? delivered|(?:was|were|got|is|are|now) delivered"
        r"|delivered (?:on|at|today|yesterday|to|this)|successfully delivered|delivered,\s*(?:in|at|to|left|front|parcel)"
    ),
}
#: Bare stage words that a subject line may use as a headline.
_HEADLINES: dict[ShipmentStatus, str] = {
    ShipmentStatus.shipped: r"shipped|dispatched|on (?:its|the) way",
    ShipmentStatus.out_for_delivery: r"out for delivery|arriving today|scheduled for delivery today",
    ShipmentStatus.delivered: r"delivered",
    ShipmentStatus.exception: r"delay|exception",
}
#: Words that turn a statement into a promise, a condition or a denial.
_QUALIFIER = re.compile(
    r"\b(?:will|would|may|might|should|could|expected|estimated|scheduled|once|when|until|if|before|not|never|yet)\b|n't\b",
    re.IGNORECASE,
)
_QUALIFIER_REACH = 30


def _compile(patterns: dict[ShipmentStatus, str]) -> list[tuple[ShipmentStatus, re.Pattern[str]]]:
    return [
        (status, re.compile(rf"(?<![\w'])(?:{pattern})(?!\w)", re.IGNORECASE)) for status, pattern in patterns.items()
    ]


_STATEMENT_PATTERNS = _compile(_STATEMENTS)
_HEADLINE_PATTERNS = _compile(_HEADLINES)


def _qualified(text: str, start: int) -> bool:
    """Whether a modal, condition or negation stands before ``start`` in the same sentence."""
    before = text[max(0, start - _QUALIFIER_REACH) : start]
    sentence = re.split(r"[.!?;:\n]", before)[-1]
    return _QUALIFIER.search(sentence) is not None


def _stages(text: str, patterns: list[tuple[ShipmentStatus, re.Pattern[str]]]) -> set[ShipmentStatus]:
    return {
        status
        for status, pattern in patterns
        for match in pattern.finditer(text)
        if not _qualified(text, match.start())
    }


def detect_status(subject: str | None, body: str | None) -> ShipmentStatus | None:
    """The most advanced stage the subject states, else the most advanced the body states."""
    for stages in (
        _stages(subject or "", _STATEMENT_PATTERNS + _HEADLINE_PATTERNS),
        _stages(body or "", _STATEMENT_PATTERNS),
    ):
        if stages:
            return max(stages, key=RANK.__getitem__)
    return None
