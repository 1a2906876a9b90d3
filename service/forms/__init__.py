"""WTForms classes built from an annex declaration, the box-group widgets, and the base of
every form a page posts."""

from .builder import AnnexForm, form_class
from .page import PageForm

__all__ = ["AnnexForm", "PageForm", "form_class"]
