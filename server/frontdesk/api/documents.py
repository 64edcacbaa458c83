"""The API's view of documents (`/documents`): what was shared with a customer, its versions and
signature; what the business's system sends to share one; and the answer to a hash check."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, StringConstraints, WithJsonSchema
from sqlmodel import Session, col, select

from frontdesk import models
from frontdesk.api.schemas import Input, ListQuery, Output
from frontdesk.services.documents import Verdict

Status = Literal["shared", "signed", "withdrawn"]
# Estimates are filed by the customer approving them, never shared through the API.
SharedKind = Literal["contract", "warranty", "coi", "other"]


def _blank_is_none(value: Any) -> Any:
    # A form sends an empty field for "no expiry".
    return None if value == "" else value


def _no_default(schema: dict[str, Any]) -> None:
    # No `default: null` in the document: null is no date, and a form field cannot send it.
    schema.pop("default", None)


# Not nullable in the document: a multipart field has no null, only "left out" (or empty).
ExpiryDate = Annotated[
    date | None,
    BeforeValidator(_blank_is_none),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "description": "When it stops being valid (insurance, say); today or later.",
        }
    ),
]


class DocumentListQuery(ListQuery):
    customer: str | None = Field(default=None, description="Our id or `external:<your id>`.")
    status: Status | None = None


class DocumentVersion(Output):
    """One file the document has had; the newest first."""

    version: int
    sha256: str = Field(description="SHA-256 of the file as stored, hex.")
    filename: str
    content_type: str = Field(description="`application/pdf`, `image/jpeg` or `image/png`.")
    size: int = Field(description="Bytes.")
    created_at: datetime


class Document(Output):
    id: str
    object: Literal["document"] = "document"
    customer: str
    title: str
    kind: Literal["contract", "warranty", "coi", "estimate", "other"] = Field(
        description="`coi`: a certificate of insurance; `estimate`: an approved estimate, filed "
        "when the customer approved it."
    )
    status: Status
    requires_signature: bool
    version: int = Field(description="The current version: 1, then one more per replacement.")
    sha256: str = Field(description="SHA-256 of the current version's file, hex.")
    expires_on: date | None
    estimate: str | None = Field(description="The approved estimate it files, if any.")
    viewed_at: datetime | None = Field(description="When the customer opened this version.")
    reminded_at: datetime | None
    signed_at: datetime | None
    signer_name: str = Field(description="The name the customer typed to sign.")
    signed_sha256: str | None = Field(
        description="SHA-256 of the signed PDF (with its certificate page): what verifying checks."
    )
    versions: list[DocumentVersion]
    created_at: datetime
    updated_at: datetime


class DocumentCreate(Input):
    """Sent as multipart/form-data: these fields and the file."""

    customer: str = Field(description="Our id, or `external:<your id>`.")
    title: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"\S")] = Field(
        description="What the customer sees; not blank."
    )
    kind: SharedKind = Field(description="`coi`: a certificate of insurance.")
    expires_on: ExpiryDate = Field(default=None, json_schema_extra=_no_default)
    requires_signature: bool = Field(
        default=False, description="Ask the customer to sign it: the file must be a PDF."
    )
    file: Annotated[
        Any,
        WithJsonSchema(
            {
                "type": "string",
                "format": "binary",
                "description": "A PDF, or a JPEG, PNG, WebP or GIF image; up to 10 MB.",
            }
        ),
    ]


class HashCheck(Input):
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")] = Field(
        description="The SHA-256 of the PDF to check, hex."
    )


class Verification(Output):
    """Only what the signed PDF's own certificate page shows, whoever's document it is."""

    object: Literal["verification"] = "verification"
    sha256: str
    matches: bool = Field(
        description="A document signed here has exactly this hash: the PDF is that signed copy, "
        "unaltered."
    )
    business_name: str | None
    title: str | None
    signer_name: str | None
    signed_at: datetime | None
    trail_holds: bool | None = Field(
        description="The document's audit trail still checks out (false: it was altered after "
        "signing); null when nothing matches."
    )
    document: str | None = Field(description="The document's id, when it is one of yours.")

    @classmethod
    def of(cls, verdict: Verdict, mine: str | None) -> Verification:
        """The answer to a hash: all null but the hash when nothing matches."""
        if not verdict.matches:
            return cls(
                sha256=verdict.sha256,
                matches=False,
                business_name=None,
                title=None,
                signer_name=None,
                signed_at=None,
                trail_holds=None,
                document=None,
            )
        return cls(
            sha256=verdict.sha256,
            matches=True,
            business_name=verdict.business_name,
            title=verdict.title,
            signer_name=verdict.signer_name,
            signed_at=verdict.signed_at,
            trail_holds=verdict.trail_holds,
            document=mine,
        )


def listed(session: Session, rows: Sequence[models.Document]) -> list[Document]:
    """Documents with their versions, in one query for the versions of the whole page."""
    versions: dict[str, list[DocumentVersion]] = defaultdict(list)
    statement = (
        select(models.DocumentVersion, models.Attachment)
        .join(models.Attachment, col(models.Attachment.id) == models.DocumentVersion.attachment_id)
        .where(col(models.DocumentVersion.document_id).in_([row.id for row in rows]))
        .order_by(col(models.DocumentVersion.version).desc())
    )
    for version, attachment in session.exec(statement):
        versions[version.document_id].append(
            DocumentVersion(
                version=version.version,
                sha256=version.sha256,
                filename=attachment.filename,
                content_type=attachment.content_type,
                size=attachment.size,
                created_at=version.created_at,
            )
        )
    return [
        Document(
            id=row.id,
            customer=row.customer_id,
            title=row.title,
            kind=str(row.kind),
            status=str(row.status),
            requires_signature=row.requires_signature,
            version=row.version,
            sha256=row.sha256,
            expires_on=row.expires_on,
            estimate=row.estimate_id,
            viewed_at=row.viewed_at,
            reminded_at=row.reminded_at,
            signed_at=row.signed_at,
            signer_name=row.signer_name,
            signed_sha256=row.signed_sha256,
            versions=versions[row.id],
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        for row in rows
    ]
