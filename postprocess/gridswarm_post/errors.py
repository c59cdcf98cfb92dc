"""The one error type of the package: a problem with an input file, carrying the file and the dataset."""


class PostError(Exception):
    """A file that cannot be post-processed: missing, not HDF5, truncated, or not in the layout of docs/output.md.

    `file` is the path as given by the user, `dataset` the HDF5 path inside it (None when the whole file is at fault).
    str() gives "FILE: DATASET: message", the line the command line prints.
    """

    def __init__(self, file, dataset, message):
        self.file = str(file)
        self.dataset = dataset
        self.message = message
        where = f"{self.file}: {dataset}" if dataset else self.file
        super().__init__(f"{where}: {message}")
