"""WTForms classes built from an annex declaration, and the box-group widgets."""

from .builder import AnnexForm, form_class

__all__ = ["AnnexForm", "form_class"]
