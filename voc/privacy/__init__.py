"""Privacy helpers: PII detection and redaction."""

from voc.privacy.pii import PII_KINDS, PiiMatch, PiiRedactor, RedactionResult, fold_digits

__all__ = ["PII_KINDS", "PiiMatch", "PiiRedactor", "RedactionResult", "fold_digits"]
