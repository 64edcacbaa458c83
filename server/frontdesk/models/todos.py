"""To-dos on a customer's account: made by the customer, the business's staff or the system, for
the customer or the business to do, some closing themselves when what they ask for happens."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field

from frontdesk.models.base import TenantScoped, UTCDateTime, created_at_field, new_id, status_field


class TodoAssignee(StrEnum):
    # The customer checks it off in the portal.
    CUSTOMER = "customer"
    # The office does it; the customer sees it, read-only ("The office will do this").
    BUSINESS = "business"


class Todo(TenantScoped, table=True):
    __tablename__ = "todo"
    __table_args__ = (
        Index("ix_todo_customer", "business_id", "customer_id"),
        # The payment, estimate and card paths look up the open items their event closes.
        Index("ix_todo_auto_rule", "business_id", "auto_rule"),
    )

    id: str = Field(default_factory=lambda: new_id("todo"), primary_key=True, max_length=40)
    customer_id: str = Field(foreign_key="customer.id", max_length=40)
    title: str = Field(max_length=200)
    notes: str = Field(default="", max_length=2000)
    due_on: date | None = None
    created_by_kind: str = Field(max_length=20)  # staff, customer, system (an Initiator)
    created_by_id: str = Field(default="", max_length=40)
    assignee: TodoAssignee = status_field(TodoAssignee.CUSTOMER)
    # The invoice or estimate the item is about, shown as a link to it in the portal.
    related_kind: str = Field(default="", max_length=20)
    related_id: str = Field(default="", max_length=40)
    # What closes the item by itself: `pay_invoice:<id>`, `approve_estimate:<id>`,
    # `save_payment_method` (services/todos.py RULES).
    auto_rule: str | None = Field(default=None, max_length=80)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_by_kind: str = Field(default="", max_length=20)
    completed_by_id: str = Field(default="", max_length=40)
    position: int = 0
    created_at: datetime = created_at_field()
