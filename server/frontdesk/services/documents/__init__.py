"""Documents the business shares with one customer: the archive (versions kept, withdrawable),
e-signatures with a consent on record, a sealed copy with a certificate page and an audit trail
chained by hash, and a public check that a PDF is one signed here, unaltered.

Callers use this package's names (`documents.share(...)`); each lives in the module of its side."""

from frontdesk.services.documents.archive import (
    VIEWS,
    WAITING_COUNT,
    Shared,
    for_business,
    for_customer,
    get,
    get_for_customer,
    listed,
    remind,
    replace,
    share,
    staff_actor,
    trail,
    versions,
    viewed,
    withdraw,
)
from frontdesk.services.documents.chain import Who
from frontdesk.services.documents.filing import JOB as FILE_ESTIMATE
from frontdesk.services.documents.filing import file_estimate
from frontdesk.services.documents.news import SIGNED_COPY
from frontdesk.services.documents.rules import (
    EVENTS,
    KINDS,
    LABELS,
    staff_status_label,
    status_label,
)
from frontdesk.services.documents.signing import (
    Signature,
    consent,
    current_consent,
    disclosure,
    sign,
    signed_copy,
    withdraw_consent,
)
from frontdesk.services.documents.verifying import Verdict, checked_hash, of_file, verdict

__all__ = [
    "EVENTS",
    "FILE_ESTIMATE",
    "KINDS",
    "LABELS",
    "SIGNED_COPY",
    "VIEWS",
    "WAITING_COUNT",
    "Shared",
    "Signature",
    "Verdict",
    "Who",
    "checked_hash",
    "consent",
    "current_consent",
    "disclosure",
    "file_estimate",
    "for_business",
    "for_customer",
    "get",
    "get_for_customer",
    "listed",
    "of_file",
    "remind",
    "replace",
    "share",
    "sign",
    "signed_copy",
    "staff_actor",
    "staff_status_label",
    "status_label",
    "trail",
    "verdict",
    "versions",
    "viewed",
    "withdraw",
    "withdraw_consent",
]
