"""Parse the timestamps that inputs carry into timezone-aware UTC datetimes."""
from __future__ import annotations

import calendar
import datetime as dt
import email.utils
import time
from typing import Optional

UTC = dt.timezone.utc


def to_utc(value: dt.datetime) -> dt.datetime:
    """Aware datetimes converted to UTC; naive ones taken as UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_timestamp(value: object) -> Optional[dt.datetime]:
    """ISO 8601, RFC 2822, a date, or epoch seconds; None when it is none of these."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return to_utc(value)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            return dt.datetime.fromtimestamp(float(value), tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, time.struct_time):
        return dt.datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    text = str(value).strip()
    try:
        return to_utc(dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00")))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return to_utc(parsed) if parsed else None
