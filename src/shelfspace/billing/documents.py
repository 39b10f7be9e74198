"""Invoices, receipts and credit notes as a page and as a PDF (WeasyPrint prints the page)."""

from __future__ import annotations

from pathlib import Path

import jinja2
from starlette.responses import Response

from shelfspace.billing.currency import display
from shelfspace.billing.models import DocumentKind, Invoice
from shelfspace.billing.schemas import InvoiceOut
from shelfspace.core.errors import Unavailable
from shelfspace.core.money import to_micros

TEMPLATE_DIR = Path(__file__).parent / "templates"
_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATE_DIR), autoescape=True, undefined=jinja2.StrictUndefined
)

TITLES = {DocumentKind.INVOICE: "Invoice", DocumentKind.RECEIPT: "Receipt", DocumentKind.CREDIT_NOTE: "Credit note"}


def render_html(invoice: Invoice, out: InvoiceOut, nonce: str | None = None) -> str:
    """`nonce`: the response's CSP nonce (http/security_headers.py) for the inline stylesheet."""

    def money(value: object) -> str:
        return display(to_micros(value), out.currency)  # type: ignore[arg-type]

    return _templates.get_template("invoice.html").render(
        doc=out, seller=invoice.seller, buyer=invoice.buyer, title=TITLES[out.kind], money=money, nonce=nonce
    )


def render_pdf(html: str) -> bytes:
    import weasyprint

    return bytes(weasyprint.HTML(string=html).write_pdf())


def pdf_document(html: str, name: str, disposition: str = "inline") -> Response:
    """The document printed to PDF in the calling thread (a plain `def` route's, in the
    thread pool: printing takes a while); a server without Pango says so."""
    try:
        pdf = render_pdf(html)
    except OSError as missing:  # WeasyPrint loads Pango when first used
        raise Unavailable(
            f"PDF rendering needs the Pango library on this server ({missing}); the HTML document works without it"
        ) from None
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'{disposition}; filename="{name}"'}
    )


def filename(out: InvoiceOut) -> str:
    return f"{out.number}.pdf"
