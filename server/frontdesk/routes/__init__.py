"""Thin HTTP handlers; each module exports routes = [...]."""

from starlette.convertors import Convertor, register_url_convertor

from frontdesk.rendering import url_part


class TextConvertor(Convertor[str]):
    """A path part holding text a business chose, such as the invoice number INV/2026/001.

    Links carry it percent-encoded (so "/", "#", "?" and "%" stay part of it); the server decodes
    the path before routing, so the text may then hold "/" and the pattern takes it whole."""

    regex = ".+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return url_part(value)


register_url_convertor("text", TextConvertor())
