"""What became of each payment reminder an invoice was due: sent, or skipped with the reason."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from frontdesk.models.base import TenantScoped, UTCDateTime, created_at_field


class InvoiceReminder(TenantScoped, table=True):
    """One reminder of one invoice ("before", "due", "after:7"), decided once. The primary key
    (invoice, kind) is the last wall against sending it twice, whatever runs the scheduler."""

    __tablename__ = "invoice_reminder"

    invoice_id: str = Field(foreign_key="invoice.id", primary_key=True, max_length=40)
    kind: str = Field(primary_key=True, max_length=20)
    # The moment it was due (09:00 where the business is, in UTC) and when it was decided.
    due_at: datetime = Field(sa_type=UTCDateTime)
    decided_at: datetime = Field(sa_type=UTCDateTime)
    sent: bool = False
    # Why it was not sent: "late" (found too long after its moment), "no portal access", ...
    reason: str = Field(default="", max_length=40)
    # The amount still due that the email named (0 when skipped).
    amount_due: int = 0
    created_at: datetime = created_at_field()
