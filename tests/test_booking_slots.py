"""The slot function, alone: fixed DST days by hand, then properties over random hours, busy
times and terms across zones and their clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from frontdesk.services.booking.slots import (
    Availability,
    Busy,
    Hours,
    Override,
    Terms,
    free_slots,
    offer,
    ranges,
)

NEW_YORK, LONDON = "America/New_York", "Europe/London"
# (zone, a day its clocks change): spring forward and fall back in each.
DST_DAYS = [
    (NEW_YORK, date(2026, 3, 8)),
    (NEW_YORK, date(2026, 11, 1)),
    (LONDON, date(2026, 3, 29)),
    (LONDON, date(2026, 10, 25)),
]


def every_day(start: time, end: time, crew: str | None = None) -> tuple[Hours, ...]:
    return tuple(Hours(day, start, end, crew) for day in range(7))


def local_midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def walls(slots: list[datetime], zone: str) -> list[str]:
    return [f"{slot.astimezone(ZoneInfo(zone)):%H:%M}" for slot in slots]


def test_spring_forward_in_new_york_skips_the_hour_that_does_not_exist() -> None:
    day = date(2026, 3, 8)
    available = Availability(NEW_YORK, ("c",), every_day(time(0), time(5)))
    found = free_slots(available, [], Terms(duration=60, step=60), local_midnight(day, NEW_YORK), 1)
    assert walls(found, NEW_YORK) == ["00:00", "01:00", "03:00", "04:00"]
    # 00:00 EST is 05:00 UTC; 03:00 EDT is 07:00 UTC: the skipped hour is not offered twice.
    assert [slot.hour for slot in found] == [5, 6, 7, 8]


def test_fall_back_in_new_york_offers_the_repeated_hour_once() -> None:
    day = date(2026, 11, 1)
    available = Availability(NEW_YORK, ("c",), every_day(time(0), time(4)))
    found = free_slots(available, [], Terms(duration=60, step=60), local_midnight(day, NEW_YORK), 1)
    assert walls(found, NEW_YORK) == ["00:00", "01:00", "02:00", "03:00"]
    assert len(set(found)) == 4


def test_london_working_day_keeps_its_local_times_across_the_change() -> None:
    for day in (date(2026, 3, 29), date(2026, 10, 25)):
        available = Availability(LONDON, ("c",), every_day(time(9), time(12)))
        found = free_slots(available, [], Terms(duration=60), local_midnight(day, LONDON), 1)
        assert walls(found, LONDON) == ["09:00", "09:30", "10:00", "10:30", "11:00"]


def test_a_date_override_replaces_the_weekly_hours_and_a_crew_keeps_its_own() -> None:
    day = date(2026, 5, 4)
    available = Availability(
        "UTC",
        ("a", "b"),
        (*every_day(time(9), time(17)), *every_day(time(13), time(15), "b")),
        (Override(day, time(10), time(11)), Override(day + timedelta(days=1))),
    )
    assert ranges(available, "a", day) == [(time(10), time(11))]
    assert ranges(available, "b", day) == [(time(10), time(11))]
    assert ranges(available, "a", day + timedelta(days=1)) == []
    assert ranges(available, "b", day + timedelta(days=2)) == [(time(13), time(15))]


def test_a_slot_is_offered_while_any_crew_is_free() -> None:
    now = datetime(2026, 5, 4, tzinfo=UTC)
    available = Availability("UTC", ("a", "b"), every_day(time(9), time(10)))
    nine = datetime(2026, 5, 4, 9, tzinfo=UTC)
    terms = Terms(duration=60, step=60)
    one_busy = [Busy("a", nine, nine + timedelta(hours=1))]
    assert offer(available, one_busy, terms, now, 1) == {nine: ["b"]}
    both = [*one_busy, Busy("b", nine - timedelta(minutes=30), nine + timedelta(minutes=1))]
    assert offer(available, both, terms, now, 1) == {}


ZONES = st.sampled_from([NEW_YORK, LONDON, "UTC", "Asia/Kolkata", "Australia/Lord_Howe"])
QUARTERS = st.integers(0, 95).map(lambda q: time(q // 4, q % 4 * 15))


@st.composite
def weekly(draw: st.DrawFn, crew: str | None) -> list[Hours]:
    found = []
    for weekday in range(7):
        for _ in range(draw(st.integers(0, 2))):
            a, b = sorted(draw(st.lists(QUARTERS, min_size=2, max_size=2, unique=True)))
            found.append(Hours(weekday, a, b, crew))
    return found


@st.composite
def cases(draw: st.DrawFn) -> tuple[Availability, list[Busy], Terms, datetime, int]:
    zone, day = draw(st.sampled_from(DST_DAYS))
    zone = draw(st.one_of(st.just(zone), ZONES))
    crews = tuple(f"crew{n}" for n in range(draw(st.integers(1, 3))))
    hours = draw(weekly(None))
    for crew in crews:
        if draw(st.booleans()):
            hours += draw(weekly(crew))
    overrides = []
    if draw(st.booleans()):
        a, b = sorted(draw(st.lists(QUARTERS, min_size=2, max_size=2, unique=True)))
        overrides.append(Override(day, a, b, draw(st.sampled_from((None, *crews)))))
    now = local_midnight(day, zone) + timedelta(minutes=draw(st.integers(-600, 1800)))
    busy = []
    for _ in range(draw(st.integers(0, 6))):
        start = now + timedelta(minutes=15 * draw(st.integers(-20, 250)))
        length = timedelta(minutes=15 * draw(st.integers(1, 16)))
        busy.append(Busy(draw(st.sampled_from(crews)), start, start + length))
    terms = Terms(
        duration=draw(st.sampled_from([15, 30, 45, 60, 90, 120])),
        buffer_before=draw(st.sampled_from([0, 15, 30])),
        buffer_after=draw(st.sampled_from([0, 15, 60])),
        min_notice=draw(st.sampled_from([0, 60, 240, 1440])),
        max_days_ahead=draw(st.integers(1, 4)),
        step=draw(st.sampled_from([15, 30, 60])),
    )
    return Availability(zone, crews, tuple(hours), tuple(overrides)), busy, terms, now, 3


@settings(max_examples=300, deadline=None)
@given(cases())
def test_offered_slots_keep_every_rule(
    case: tuple[Availability, list[Busy], Terms, datetime, int],
) -> None:
    available, busy, terms, now, days = case
    zone = ZoneInfo(available.time_zone)
    found = offer(available, busy, terms, now, days)
    for start, crews in found.items():
        assert crews, start
        # On the hours: a step from a range's start on its local day, the visit inside it.
        local = start.astimezone(zone)
        assert any(
            a <= local.time() < b
            and (local.hour * 60 + local.minute - a.hour * 60 - a.minute) % terms.step == 0
            for crew in crews
            for a, b in ranges(available, crew, local.date())
        ), local
        # Notice and horizon.
        assert now + timedelta(minutes=terms.min_notice) <= start
        assert start <= now + timedelta(days=terms.max_days_ahead)
        # No crew it names is busy then, buffers included; a crew left out is busy.
        blocked_from, blocked_until = terms.blocked(start)
        for crew in available.crews:
            clash = any(
                b.crew == crew and b.start < blocked_until and blocked_from < b.end for b in busy
            )
            if crew in crews:
                assert not clash, (start, crew)
    # No wall time twice: each local (date, time) is one instant.
    local_times = [start.astimezone(zone).replace(tzinfo=None) for start in found]
    assert len(local_times) == len(set(local_times))
    assert list(found) == sorted(found)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(DST_DAYS),
    QUARTERS,
    st.integers(1, 24 * 4),
    st.sampled_from([15, 30, 60]),
    st.sampled_from([15, 30, 60]),
)
def test_free_day_offers_every_wall_time_that_exists_and_fits(
    dst: tuple[str, date], start: time, quarters: int, step: int, duration: int
) -> None:
    """No missing hour: with nothing busy, the offered wall times are exactly the steps of the
    range that exist on that day and leave room for the visit, found here by walking the day
    minute by minute in UTC (not by the function's own arithmetic)."""
    zone_name, day = dst
    zone = ZoneInfo(zone_name)
    end_minutes = min(start.hour * 60 + start.minute + quarters * 15, 24 * 60 - 1)
    end = time(end_minutes // 60, end_minutes % 60)
    if not start < end:
        return
    available = Availability(zone_name, ("c",), every_day(start, end))
    terms = Terms(duration=duration, step=step, max_days_ahead=2)
    now = local_midnight(day, zone_name) - timedelta(hours=3)
    found = [s for s in offer(available, [], terms, now, 2) if s.astimezone(zone).date() == day]
    first_seen: dict[datetime, datetime] = {}
    instant = local_midnight(day, zone_name) - timedelta(hours=2)
    while instant < local_midnight(day, zone_name) + timedelta(hours=28):
        wall = instant.astimezone(zone).replace(tzinfo=None)
        first_seen.setdefault(wall, instant)
        instant += timedelta(minutes=1)
    # The range ends when the clock first shows its end or later (an end that does not exist
    # that day ends it when the clock jumps past).
    range_end = min(at for wall, at in first_seen.items() if wall >= datetime.combine(day, end))
    expected = []
    wall = datetime.combine(day, start)
    while wall.time() < end and wall.date() == day:
        at = first_seen.get(wall)
        if at is not None and at + timedelta(minutes=duration) <= range_end:
            expected.append(at)
        wall += timedelta(minutes=step)
    assert found == expected
