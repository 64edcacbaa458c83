"""The theme gallery's state of the customer's monthly statements, drawn by the portal route's own
builder on samples (gallery.py lists it with the other states)."""

from __future__ import annotations

from typing import Any

from frontdesk.models import Business
from frontdesk.routes.portal import statements
from frontdesk.services import gallery
from frontdesk.services.gallery import Samples

LIST = statements.LIST


def months(business: Business, s: Samples) -> dict[str, Any]:
    return statements.list_shown(business, gallery.sample_statements(business, s.today))
