"""The demo business's booking: services, weekday hours, a holiday, the area its customers live
in, and a visit coming up for Jordan so the portal's home shows one."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from frontdesk.models import BookingService, Customer, Initiator, StaffRole, StaffUser, utcnow
from frontdesk.services import audit, booking, businesses

# Springfield, IL: Jordan's code and the ones around it.
AREA = ("62701", "62702", "62703", "62704", "62707")
OPEN, CLOSE = time(8), time(17)
VISIT_AT = time(10)


def _holiday(today: date) -> date:
    """The next Christmas Day: closed."""
    christmas = date(today.year, 12, 25)
    return christmas if christmas >= today else christmas.replace(year=today.year + 1)


def _visit_day(today: date, holiday: date) -> date:
    """A weekday a few days ahead, not the holiday."""
    day = today + timedelta(days=3)
    while day.weekday() > 4 or day == holiday:
        day += timedelta(days=1)
    return day


def ensure(session: Session, business_id: str, jordan: Customer) -> None:
    """Seed the booking setup once: a business that has services keeps what it has."""
    if session.exec(select(BookingService.id)).first() is not None:
        return
    business = businesses.get(session, business_id)
    owner = session.exec(
        select(StaffUser).where(col(StaffUser.role) == StaffRole.OWNER).order_by(StaffUser.id)
    ).first()
    office = audit.Actor(Initiator.STAFF, owner.id if owner else "", "")
    business.allow_booking = business.booking_public = True
    mowing = booking.create_service(
        session,
        business=business,
        name="Lawn mowing",
        duration_min=60,
        buffer_after_min=15,
        min_notice_min=24 * 60,
        actor=office,
    )
    booking.create_service(
        session,
        business=business,
        name="Garden consultation",
        duration_min=45,
        min_notice_min=48 * 60,
        requires_confirmation=True,
        actor=office,
    )
    booking.set_hours(
        session, business=business, hours=[(day, OPEN, CLOSE) for day in range(5)], actor=office
    )
    now = utcnow()
    today = businesses.today(business, now)
    holiday = _holiday(today)
    booking.add_override(session, business=business, day=holiday, actor=office)
    booking.set_area(session, business=business, prefixes=AREA, actor=office)
    day = _visit_day(today, holiday)
    starts = datetime.combine(day, VISIT_AT, ZoneInfo(business.time_zone)).astimezone(UTC)
    booking.book(
        session,
        business=business,
        customer_id=jordan.id,
        service_id=mowing.id,
        starts_at=starts,
        now=now,
        actor=office,
        notes="Front and back lawns; the side gate is unlocked.",
        idempotency_key="demo-seed:jordan-mowing",
    )
