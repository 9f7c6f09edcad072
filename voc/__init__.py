"""voc: voice-of-customer analysis for Persian and English feedback."""

__version__ = "0.1.0"
