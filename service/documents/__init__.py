"""Official copies of a form: Word by docxtpl (render), PDF/A-2b by LibreOffice (convert).

Files in, files out: this package knows no case, no request and no database. ``render_docx``
turns a declaration and a filled form into the Word copy; ``to_pdf`` converts Word bytes to a
PDF/A-2b archive copy on a pool of long-lived LibreOffice processes (``OfficePool``).
"""

from .convert import (
    ConversionError,
    ConversionTimeout,
    OfficePool,
    pdf_pages,
    shutdown_pool,
    to_docx,
    to_pdf,
)
from .render import DocumentError, DocumentMeta, render_docx, render_template

__all__ = ["ConversionError", "ConversionTimeout", "DocumentError", "DocumentMeta",
           "OfficePool", "pdf_pages", "render_docx", "render_template", "shutdown_pool",
           "to_docx", "to_pdf"]
