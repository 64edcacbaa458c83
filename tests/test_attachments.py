"""Attached files: what is accepted (by its bytes), what is kept of it (no metadata), what is
refused (and then nothing is stored), and the short-lived links that serve them."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from PIL import Image, PngImagePlugin
from sqlmodel import select
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from frontdesk import tokens
from frontdesk.app import create_app
from frontdesk.db import Database
from frontdesk.middleware.body_limit import uploads
from frontdesk.models import Attachment, Business, Customer, StaffUser, utcnow
from frontdesk.rendering import templates
from frontdesk.services import attachments
from frontdesk.services.attachments import Party
from frontdesk.services.errors import Invalid, NotFound
from frontdesk.settings import Settings
from frontdesk.storage import LocalDisk
from frontdesk.tokens import Purpose
from tests.conftest import LiveServer
from tests.factories import make_business, make_customer

MiB = 1024 * 1024
OWNER = ("service_request", "srq_test")
NOT_ACCEPTED = "is not a JPEG, PNG, WebP or GIF image or a PDF."
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@dataclass
class Shop:
    db: Database
    business: Business
    customer: Customer
    owner: StaffUser
    store: LocalDisk
    keys: tuple[str, ...]

    def receive(self, *files: UploadFile, max_files: int = 5) -> list[Attachment]:
        with self.db.session(self.business.id) as session:
            return attachments.receive(
                session,
                business=self.business,
                customer_id=self.customer.id,
                owner_kind=OWNER[0],
                owner_id=OWNER[1],
                files=list(files),
                by=Party.customer(self.customer.id),
                max_files=max_files,
                store=self.store,
                field="photos",
            )

    def rows(self) -> list[Attachment]:
        with self.db.session(self.business.id) as session:
            return list(session.exec(select(Attachment)))


@pytest.fixture
def shop(db: Database, settings: Settings) -> Shop:
    made = make_business(db)
    with db.session(made.business.id) as session:
        customer = make_customer(session, made.business)
    store = attachments.store_for(settings)
    assert isinstance(store, LocalDisk)
    return Shop(db, made.business, customer, made.owner, store, settings.secret_key)


def upload(name: str, data: bytes) -> UploadFile:
    return UploadFile(file=io.BytesIO(data), filename=name)


def jpeg_with_gps() -> bytes:
    """Left half red, right half blue, stored sideways: EXIF orientation 6 says "turn it a
    quarter clockwise to show it", so shown upright, red is on top."""
    image = Image.new("RGB", (40, 20), "blue")
    image.paste((255, 0, 0), (0, 0, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x010F] = "SnoopCam"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (51.0, 30.0, 26.0)  # GPSLatitudeRef, GPSLatitude
    gps[3], gps[4] = "W", (0.0, 7.0, 39.0)
    out = io.BytesIO()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">where-i-live</x:xmpmeta>'
    image.save(out, "JPEG", exif=exif, comment=b"secret comment", xmp=xmp)
    assert b"where-i-live" in out.getvalue() and b"SnoopCam" in out.getvalue()
    return out.getvalue()


def png(mode: str = "RGBA", size: tuple[int, int] = (8, 8)) -> bytes:
    image = Image.new(mode, size, (0, 128, 0, 0) if mode == "RGBA" else (0, 128, 0))
    if mode == "RGBA":
        image.putpixel((0, 0), (255, 0, 0, 255))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret comment")
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims a size: a decompression bomb only has to say it is huge."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def test_a_photo_loses_its_exif_gps_xmp_and_comment_and_stands_upright(shop: Shop) -> None:
    [row] = shop.receive(upload("holiday.jpg", jpeg_with_gps()))
    stored = shop.store.get(row.storage_key)
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert len(image.getexif()) == 0
        assert not {"exif", "xmp", "comment", "icc_profile"} & set(image.info)
        assert image.size == (20, 40)
        red, _, blue = image.convert("RGB").getpixel((10, 5))  # type: ignore[misc]
        assert red > 200 and blue < 60
        red, _, blue = image.convert("RGB").getpixel((10, 35))  # type: ignore[misc]
        assert blue > 200 and red < 60
    for trace in (b"Exif", b"SnoopCam", b"where-i-live", b"secret comment"):
        assert trace not in stored
    assert (row.filename, row.content_type, row.size) == ("holiday.jpg", "image/jpeg", len(stored))
    assert row.storage_key == f"{shop.business.id}/{row.sha256}"
    assert (row.created_by_kind, row.created_by_id) == ("customer", shop.customer.id)


def test_a_png_keeps_its_transparency_and_loses_its_text(shop: Shop) -> None:
    [row] = shop.receive(upload("logo.png", png()))
    stored = shop.store.get(row.storage_key)
    with Image.open(io.BytesIO(stored)) as image:
        assert (image.format, image.mode) == ("PNG", "RGBA")
        assert image.getpixel((0, 0)) == (255, 0, 0, 255)
        assert image.getpixel((5, 5))[3] == 0  # type: ignore[index]
        assert "Comment" not in image.info
    assert b"secret comment" not in stored
    assert row.content_type == "image/png"


def test_webp_gif_and_pdf_are_taken_and_named_for_what_is_kept(shop: Shop) -> None:
    webp, gif = io.BytesIO(), io.BytesIO()
    Image.new("RGB", (6, 6), "navy").save(webp, "WEBP")
    frames = [Image.new("P", (6, 6), colour) for colour in (1, 2)]
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:])
    rows = shop.receive(
        upload("pic.webp", webp.getvalue()),
        upload("wave.gif", gif.getvalue()),
        upload("C:\\Users\\casey\\quote.pdf", PDF),
    )
    assert [(row.filename, row.content_type) for row in rows] == [
        ("pic.jpg", "image/jpeg"),
        ("wave.png", "image/png"),
        ("quote.pdf", "application/pdf"),
    ]
    assert shop.store.get(rows[2].storage_key) == PDF  # a PDF is kept as sent


def big_jpeg() -> bytes:
    # Refused by its size before anything reads it as an image.
    return b"\xff\xd8\xff" + b"\x00" * (11 * MiB - 3)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([("photo.jpg", PDF)], f"photo.jpg {NOT_ACCEPTED}"),
        ([("shot.png", b"just some text, honestly")], f"shot.png {NOT_ACCEPTED}"),
        ([("notes.pdf", b"")], "notes.pdf is empty."),
        ([("big.jpg", None)], "big.jpg is 11 MB; files can be up to 10 MB."),
        ([("bomb.png", png_header(30_000, 30_000))], "bomb.png has too many pixels"),
        ([("huge.png", png_header(10_000, 6_000))], "huge.png has too many pixels"),
        ([("cut.png", png("RGB", (300, 300))[:200])], "cut.png could not be read as an image"),
        # One bad file refuses the good ones with it.
        ([("fine.png", png()), ("evil.png", b"<script>")], f"evil.png {NOT_ACCEPTED}"),
        (
            [(f"p{n}.png", png()) for n in range(6)],
            "Up to 5 files can be attached; this would make 6.",
        ),
    ],
    ids=[
        "pdf as jpg",
        "text as png",
        "empty",
        "11 MB",
        "bomb",
        "60 MP",
        "truncated",
        "one bad",
        "six",
    ],
)
def test_refused_files_are_named_and_nothing_is_stored(
    shop: Shop, files: list[tuple[str, bytes | None]], message: str
) -> None:
    with pytest.raises(Invalid) as refused:
        shop.receive(*(upload(name, big_jpeg() if data is None else data) for name, data in files))
    assert refused.value.message.startswith(message)
    assert refused.value.fields == {"photos": refused.value.message}
    assert shop.rows() == []
    assert shop.store.keys() == []


def test_the_count_includes_files_already_attached_and_skips_empty_inputs(shop: Shop) -> None:
    shop.receive(upload("a.png", png()), upload("", b""), max_files=2)
    with pytest.raises(Invalid, match="Up to 2 files can be attached; this would make 3"):
        shop.receive(upload("b.png", png()), upload("c.pdf", PDF), max_files=2)
    assert len(shop.rows()) == 1


def test_identical_files_share_one_blob_until_the_last_is_withdrawn(shop: Shop) -> None:
    first, second = shop.receive(upload("a.jpg", jpeg_with_gps()), upload("b.jpg", jpeg_with_gps()))
    assert first.storage_key == second.storage_key
    assert shop.store.keys() == [first.storage_key]
    for row, left in ((first, [first.storage_key]), (second, [])):
        with shop.db.session(shop.business.id) as session:
            attachments.withdraw(
                session, business=shop.business, attachment_id=row.id, store=shop.store
            )
        assert shop.store.keys() == left


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\fakepath\\Küche.jpg", "Küche.jpg"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),  # a right-to-left override hides ".exe"
        ("line\nbreak\x00.png", "linebreak.png"),
        ("...", "file"),
    ],
)
def test_display_names_are_cleaned(raw: str, shown: str) -> None:
    from frontdesk.services.attachment_files import display_name

    assert display_name(raw) == shown


@pytest.fixture
def served(shop: Shop, settings: Settings, db: Database) -> Iterator[tuple[LiveServer, Shop]]:
    server = LiveServer(create_app(settings, db)).start()
    yield server, shop
    server.stop()


def link(shop: Shop, row: Attachment, audience: Party, now: object = None) -> str:
    with shop.db.session(shop.business.id) as session:
        return attachments.token(
            session, attachment=row, audience=audience, secret_keys=shop.keys, now=now or utcnow()
        )


def test_a_link_serves_the_file_to_its_customer_and_staff_with_safe_headers(
    served: tuple[LiveServer, Shop],
) -> None:
    server, shop = served
    [row] = shop.receive(upload("Küche <b>.jpg", jpeg_with_gps()))
    for audience in (Party.customer(shop.customer.id), Party.staff(shop.owner.id)):
        answer = httpx.get(f"{server.url}/files/{link(shop, row, audience)}")
        assert answer.status_code == 200
        assert answer.content == shop.store.get(row.storage_key)
        assert answer.headers["content-type"] == "image/jpeg"
        assert answer.headers["content-disposition"] == (
            "inline; filename=\"K-che-b-.jpg\"; filename*=UTF-8''K%C3%BCche%20%3Cb%3E.jpg"
        )
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["content-security-policy"] == "default-src 'none'; sandbox"
        cache, age = answer.headers["cache-control"].split(", max-age=")
        assert cache == "private" and 590 <= int(age) <= 600


def test_links_for_anyone_else_or_tampered_are_404_and_expired_ones_410(
    served: tuple[LiveServer, Shop], db: Database
) -> None:
    server, shop = served
    [row] = shop.receive(upload("quote.pdf", PDF))
    with db.session(shop.business.id) as session:
        other = make_customer(session, shop.business, name="Other Customer")
    elsewhere = make_business(db)
    # The service will not sign another customer's file for them.
    with pytest.raises(NotFound):
        link(shop, row, Party.customer(other.id))

    def forged(**changes: object) -> str:
        payload = {"b": shop.business.id, "a": row.id, "k": "customer", "p": shop.customer.id}
        payload.update({"v": shop.customer.link_version, "x": int(utcnow().timestamp()) + 600})
        return tokens.sign(shop.keys, Purpose.ATTACHMENT, {**payload, **changes})

    good = link(shop, row, Party.customer(shop.customer.id))
    middle = len(good) // 2
    refused = {
        "another customer": forged(p=other.id, v=other.link_version),
        "another business": forged(b=elsewhere.business.id),
        "staff of another business": forged(k="staff", p=elsewhere.owner.id),
        "older link version": forged(v=shop.customer.link_version - 1),
        "tampered": good[:middle] + ("A" if good[middle] != "A" else "B") + good[middle + 1 :],
        "wrong purpose": tokens.sign(shop.keys, Purpose.DOWNLOAD, {"b": shop.business.id}),
    }
    for name, token in refused.items():
        answer = httpx.get(f"{server.url}/files/{token}")
        assert answer.status_code == 404, name
        assert b"%PDF" not in answer.content, name
    assert httpx.get(f"{server.url}/files/{good}").status_code == 200

    later = utcnow() + timedelta(minutes=10, seconds=1)
    server.app.state.clock = lambda: later  # type: ignore[union-attr]
    answer = httpx.get(f"{server.url}/files/{good}")
    assert answer.status_code == 410
    assert "This link has expired; open it again from the portal." in answer.text

    fresh = link(shop, row, Party.customer(shop.customer.id), now=later)
    assert httpx.get(f"{server.url}/files/{fresh}").status_code == 200
    with db.session(shop.business.id) as session:
        attachments.withdraw(
            session, business=shop.business, attachment_id=row.id, store=shop.store
        )
    assert httpx.get(f"{server.url}/files/{fresh}").status_code == 404


def test_the_partial_shows_names_as_text_with_thumbnails_and_file_links(
    shop: Shop, settings: Settings, db: Database
) -> None:
    rows = shop.receive(
        upload('<img src=x onerror="alert(1)">.png', png()), upload('"quote" & <i>.pdf', PDF)
    )
    with shop.db.session(shop.business.id) as session:
        listed = attachments.linked(
            session,
            business=shop.business,
            owner_kind=OWNER[0],
            owner_id=OWNER[1],
            audience=Party.customer(shop.customer.id),
            secret_keys=shop.keys,
            now=utcnow(),
        )
    assert [found.attachment.id for found in listed] == [row.id for row in rows]
    app = create_app(settings, db)
    scope = {
        **{"type": "http", "scheme": "http", "server": ("testserver", 80), "path": "/"},
        **{"root_path": "", "headers": [], "query_string": b"", "router": app.router, "app": app},
    }
    html = templates.env.get_template("fragments/attachments/list.html").render(
        request=Request(scope), attachments=listed
    )
    assert "<img src=x" not in html and "<i>" not in html
    assert 'alt="&lt;img src=x onerror=&#34;alert(1)&#34;&gt;.png"' in html
    assert "&#34;quote&#34; &amp; &lt;i&gt;.pdf</a>" in html
    assert html.count("http://testserver/files/") == 3  # the image's link and source, the PDF's


async def upload_form(request: Request) -> Response:
    """A stand-in for the sibling upload routes: reads the form as theirs do."""
    async with request.form() as form:
        return HTMLResponse(f"<p>{len(form.getlist('photos'))} files</p>")


def test_the_body_limit_answers_an_oversized_upload_readably_and_keeps_other_routes_small(
    settings: Settings, db: Database
) -> None:
    app = create_app(settings, db)
    # Mounted as the real upload routes are: inside the app, behind all of its middleware.
    app.router.routes.append(
        Route("/upload-test", uploads(max_files=3)(upload_form), methods=["POST"])
    )
    app.router.routes.append(Route("/plain-test", upload_form, methods=["POST"]))
    server = LiveServer(app).start()
    try:
        with httpx.Client(base_url=server.url, headers={"HX-Request": "true"}) as client:
            fifty = client.post("/upload-test", files={"photos": ("holiday.jpg", b"\0" * 50 * MiB)})
            assert fifty.status_code == 413
            assert "These files add up to more than can be sent at once (31 MB)" in fifty.text
            assert "Nothing was saved." in fifty.text
            assert "<html" not in fifty.text.lower()  # the fragment, for htmx to swap in

            within = client.post(
                "/upload-test", files=[("photos", (f"p{n}.jpg", b"\0" * 9 * MiB)) for n in range(3)]
            )
            assert (within.status_code, within.text) == (200, "<p>3 files</p>")

            plain = client.post("/plain-test", files={"photos": ("p.jpg", b"\0" * 2 * MiB)})
            assert plain.status_code == 413
            assert "The request body is over 1 MiB." in plain.text
    finally:
        server.stop()
