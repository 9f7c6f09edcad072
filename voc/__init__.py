"""voc: voice-of-customer analysis for Persian and English feedback.

`voc.analyze(...)` runs the `voc analyze` pipeline from Python and returns an `Analysis`
(DataFrames, KPIs, the report); problems with the input raise `voc.VocError`. Importing voc
loads neither the models nor pandas: they load on the first analysis.
"""

__version__ = "0.1.0"

from voc.api import Analysis, analyze
from voc.errors import VocError

__all__ = ["Analysis", "VocError", "__version__", "analyze"]
