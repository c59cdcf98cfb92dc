"""Post-processing of gridswarm output files (docs/postprocess.md): summary tables, plots and run comparisons.

The layout read here is docs/output.md. Every reader goes through `reader.RunFile`, which keeps only the rows a run
has flushed (`rows_written`) and turns every HDF5 or layout problem into one `PostError` naming the file and dataset.
"""

__all__ = ["PostError", "RunFile", "summarize"]

from .errors import PostError
from .reader import RunFile
from .summary import summarize
