"""The API's field types, each checked as the server checks it and described so in the OpenAPI
document: a client reading the document knows what will be refused before it asks."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field, StringConstraints, WithJsonSchema

from frontdesk.services.customers import EMAIL

Text = Annotated[str, StringConstraints(max_length=1000)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]


# Any text but control characters, "/" and "#" included (INV/2026/001): links carry it
# percent-encoded. It needs one character that is neither a dot nor a space, as browsers read "."
# and ".." in a link as steps up the path.
_VISIBLE = r"[^\x00-\x1f\x7f-\x9f]"
DOCUMENT_NUMBER = rf"^{_VISIBLE}*[^.\s\x00-\x1f\x7f-\x9f]{_VISIBLE}*$"
DocumentNumber = Annotated[
    str,
    StringConstraints(min_length=1, max_length=40, strip_whitespace=True, pattern=DOCUMENT_NUMBER),
    Field(description="Text such as `INV/2026/001`: no control characters, not only dots."),
]
ENDPOINT_URL = r"^https?://[^/?#@:\s]+"
# What a person reads when a pattern refuses their value (pydantic would quote the pattern).
PATTERN_MESSAGES = {
    DOCUMENT_NUMBER: "Use text without control characters, and not only dots.",
    EMAIL: "Enter an email address like name@example.com.",
    ENDPOINT_URL: "Enter the full address of your endpoint, like https://example.com/hooks.",
}
Email = Annotated[str, StringConstraints(min_length=3, max_length=320, pattern=EMAIL)]
EndpointUrl = Annotated[
    str,
    StringConstraints(min_length=8, max_length=2000, pattern=ENDPOINT_URL),
    Field(description="http(s), with a host on the public internet."),
]
MAX_QUANTITY = 1_000_000
# "1", "2.5", "0.125" ... "1000000": more than zero, at most a million, three places at most.
QUANTITY_TEXT = r"^0*([1-9]\d{0,5}(\.\d{1,3})?|1000000(\.0{1,3})?|\.\d{0,2}[1-9])$"
Quantity = Annotated[
    Decimal,
    Field(gt=0, le=MAX_QUANTITY, decimal_places=3),
    # pydantic cannot say "three decimal places" in JSON Schema: said here, as it is checked.
    WithJsonSchema(
        {
            "anyOf": [
                {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "maximum": MAX_QUANTITY,
                    "multipleOf": 0.001,
                },
                {"type": "string", "pattern": QUANTITY_TEXT},
            ],
            "description": 'More than 0, at most 1,000,000, up to three decimal places ("1.5").',
        }
    ),
]
ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^\S+$")]
Minor = Annotated[int, Field(ge=0, le=99_999_999_999, description="Minor units (cents).")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217, upper case.")]
