"""Free appointment slots as a pure function of the availability, what keeps each crew busy, the
service's terms and the moment asked.

Slots are laid out on the business's wall clock (09:00, 09:30, ... where the business is) and
handed back as UTC instants. On a day the clocks change, a wall time that does not exist (02:30
on a spring-forward night) is not offered, and one that happens twice (01:30 on a fall-back
night) is offered once, at its first occurrence; durations are real elapsed time. A slot is
offered when any crew that does the service is free for it, buffers included."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Hours:
    """A weekly range (Monday = 0) of local time; `crew` None: the business's own."""

    weekday: int
    start: time
    end: time
    crew: str | None = None


@dataclass(frozen=True)
class Override:
    """One date's hours instead of the weekly ones; no start: closed that day."""

    day: date
    start: time | None = None
    end: time | None = None
    crew: str | None = None


@dataclass(frozen=True)
class Availability:
    time_zone: str
    crews: tuple[str, ...]
    hours: tuple[Hours, ...]
    overrides: tuple[Override, ...] = ()


@dataclass(frozen=True)
class Busy:
    """A range (UTC) a crew may not be booked in: an appointment's visit widened by its buffers,
    or time the business blocked."""

    crew: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Terms:
    """A service's terms, in minutes (the horizon in days)."""

    duration: int
    buffer_before: int = 0
    buffer_after: int = 0
    min_notice: int = 0
    max_days_ahead: int = 60
    step: int = 30

    def blocked(self, start: datetime) -> tuple[datetime, datetime]:
        """What a visit starting at `start` keeps its crew from: the visit and its buffers."""
        end = start + timedelta(minutes=self.duration)
        return (
            start - timedelta(minutes=self.buffer_before),
            end + timedelta(minutes=self.buffer_after),
        )


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime | None:
    """`at` on `day` where the business is, in UTC; None when that wall time does not exist
    (skipped by a spring-forward change). A repeated wall time is its first occurrence."""
    wall = datetime.combine(day, at, tzinfo=zone)  # fold=0: the first occurrence
    instant = wall.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != wall.replace(tzinfo=None):
        return None
    return instant


def _edge(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A range's edge as an instant; one inside a skipped hour is the first wall time after it
    that exists (a range "02:15-05:00" on a spring-forward night opens when 03:00 comes)."""
    wall = datetime.combine(day, at)
    while (instant := local_instant(wall.date(), wall.time(), zone)) is None:
        wall += timedelta(minutes=1)
    return instant


def ranges(availability: Availability, crew: str, day: date) -> list[tuple[time, time]]:
    """The crew's working ranges (local) on `day`: its own date overrides, else the business's;
    else its own weekly hours, else the business's."""
    for owner in (crew, None):
        found = [o for o in availability.overrides if o.day == day and o.crew == owner]
        if found:
            return sorted((o.start, o.end) for o in found if o.start and o.end and o.start < o.end)
    own = [h for h in availability.hours if h.crew == crew]
    weekly = own or [h for h in availability.hours if h.crew is None]
    return sorted(
        (h.start, h.end) for h in weekly if h.weekday == day.weekday() and h.start < h.end
    )


def _overlaps(start: datetime, end: datetime, busy: Iterable[Busy]) -> bool:
    return any(start < b.end and b.start < end for b in busy)


def _candidates(
    availability: Availability, crew: str, terms: Terms, day: date, zone: ZoneInfo
) -> Iterator[datetime]:
    length, step = timedelta(minutes=terms.duration), timedelta(minutes=max(terms.step, 1))
    for start_local, end_local in ranges(availability, crew, day):
        end = _edge(day, end_local, zone)
        opens = _edge(day, start_local, zone)
        wall = datetime.combine(day, start_local)
        while wall.date() == day and wall.time() < end_local:
            instant = local_instant(day, wall.time(), zone)
            if instant is not None and instant >= opens and instant + length <= end:
                yield instant
            wall += step


def offer(
    availability: Availability,
    busy: Iterable[Busy],
    terms: Terms,
    now: datetime,
    days: int,
    *,
    crews: Iterable[str] | None = None,
    from_day: date | None = None,
) -> dict[datetime, list[str]]:
    """Each free slot (UTC) from today (where the business is; or from `from_day`, if later)
    for `days` days, with the crews free for it. `busy` must hold only what blocks: expired
    holds and canceled visits left out."""
    zone = ZoneInfo(availability.time_zone)
    eligible = list(availability.crews if crews is None else crews)
    by_crew: dict[str, list[Busy]] = {crew: [] for crew in eligible}
    for item in busy:
        if item.crew in by_crew:
            by_crew[item.crew].append(item)
    earliest = now + timedelta(minutes=terms.min_notice)
    latest = now + timedelta(days=terms.max_days_ahead)
    today = max(now.astimezone(zone).date(), from_day or date.min)
    found: dict[datetime, list[str]] = {}
    for offset in range(max(days, 0)):
        day = today + timedelta(days=offset)
        for crew in eligible:
            for start in _candidates(availability, crew, terms, day, zone):
                if not earliest <= start <= latest:
                    continue
                if _overlaps(*terms.blocked(start), by_crew[crew]):
                    continue
                found.setdefault(start, []).append(crew)
    return dict(sorted(found.items()))


def free_slots(
    availability: Availability, busy: Iterable[Busy], terms: Terms, now: datetime, days: int
) -> list[datetime]:
    """The free slots (UTC) from today for `days` days: each offered when any crew is free."""
    return list(offer(availability, busy, terms, now, days))
