"""Parse the timestamps that inputs carry into timezone-aware UTC datetimes.

Inputs carry every kind of date: Go's zero time (year 1) from undated Hugo
pages, year 9999 placeholders, epoch seconds in milliseconds. Parsing never
raises, and :func:`plausible` tells a publication date worth partitioning by
from one that is not (before 1900, or more than two days after the run).
"""
from __future__ import annotations

import datetime as dt
import email.utils
import re
import time
from typing import Optional

UTC = dt.timezone.utc
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=UTC)
FUTURE_SLACK = dt.timedelta(days=2)


def to_utc(value: dt.datetime) -> dt.datetime:
    """Aware datetimes converted to UTC; naive ones taken as UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def plausible(value: Optional[dt.datetime], now: dt.datetime) -> bool:
    """Whether ``value`` can be a publication date seen at ``now``: from 1900 up to two days
    ahead (time zones and scheduled posts), never year 1 or 9999."""
    return value is not None and EARLIEST <= value <= now + FUTURE_SLACK


# A date written with an explicit year of three or more digits, as RFC 2822 dates are:
# email.utils reads the year '0001' as 2001, which would make Go's zero time a real date.
_RFC2822_YEAR = re.compile(r"\b\d{1,2}\s+[A-Za-z]{3,9}\.?\s+(\d{3,})\b")


def parse_timestamp(value: object) -> Optional[dt.datetime]:
    """ISO 8601, RFC 2822, a date, or epoch seconds; None when it is none of these. Never raises.

    A date that names a moment Python cannot hold (an epoch value of 1e30, year 1 shifted
    west of UTC) comes back as the earliest or latest representable moment, so that it
    still counts as a date that was given, and as implausible.
    """
    try:
        return _parse(value)
    except OverflowError:  # year 1 or 9999 moved across midnight by its UTC offset
        return _OUT_OF_RANGE_EARLY if _early(value) else _OUT_OF_RANGE_LATE
    except (OSError, ValueError, TypeError, IndexError):
        return None


_OUT_OF_RANGE_EARLY = dt.datetime.min.replace(tzinfo=UTC)
_OUT_OF_RANGE_LATE = dt.datetime.max.replace(tzinfo=UTC)


def _early(value: object) -> bool:
    """Whether a date too extreme to convert lies before year 1 rather than after 9999: its
    year, the first number of four digits, is small."""
    match = re.search(r"\d{4,}", str(value))
    return bool(match) and int(match.group()) < 1000


def _parse(value: object) -> Optional[dt.datetime]:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return to_utc(value)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        if value != value:  # NaN
            return None
        try:
            return dt.datetime.fromtimestamp(float(value), tz=UTC)
        except (OverflowError, OSError, ValueError):
            return _OUT_OF_RANGE_EARLY if value < 0 else _OUT_OF_RANGE_LATE
    if isinstance(value, time.struct_time):  # feedparser's, already in UTC
        return dt.datetime(*value[:5], min(value[5], 59), tzinfo=UTC)
    text = str(value).strip()
    try:
        return to_utc(dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00")))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if not parsed:
        return None
    written = _RFC2822_YEAR.search(text)
    if written and int(written.group(1)) != parsed.year:
        parsed = parsed.replace(year=int(written.group(1)))  # ValueError for year 0 or > 9999
    return to_utc(parsed)
