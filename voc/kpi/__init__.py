"""Customer KPIs from score columns: NPS, CSAT and CES with confidence intervals."""
