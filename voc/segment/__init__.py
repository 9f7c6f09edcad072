"""Segmentation of answers into sentences and contrastive clauses."""
