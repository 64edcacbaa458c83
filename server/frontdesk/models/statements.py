"""What became of each customer's monthly statement email: sent, or kept back with the reason."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from frontdesk.models.base import TenantScoped, UTCDateTime, created_at_field


class StatementMail(TenantScoped, table=True):
    """One customer's statement for one calendar month ("2026-11"), decided once. The primary key
    (customer, month) is the last wall against emailing it twice, whatever runs the scheduler."""

    __tablename__ = "statement_mail"

    customer_id: str = Field(foreign_key="customer.id", primary_key=True, max_length=40)
    month: str = Field(primary_key=True, max_length=7)
    # When it fell due (06:00 on the 1st of the next month where the business is, in UTC).
    due_at: datetime = Field(sa_type=UTCDateTime)
    decided_at: datetime = Field(sa_type=UTCDateTime)
    sent: bool = False
    # Why it was not sent: "late", "no portal access", "nothing to report".
    reason: str = Field(default="", max_length=40)
    # The statement as it was decided: what it opened and closed with, in minor units.
    opening: int = 0
    closing: int = 0
    created_at: datetime = created_at_field()
