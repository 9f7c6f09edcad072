"""Per-record language identification for Persian (incl. Finglish) and English feedback."""

from voc.language.detect import Lang, LanguageGuess, Script, detect_language

__all__ = ["Lang", "LanguageGuess", "Script", "detect_language"]
