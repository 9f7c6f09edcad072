"""Text normalization: hazm for Persian, spaCy rules for English."""
