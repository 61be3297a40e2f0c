"""newsbeam's driver side: CLI, configuration, pipeline assembly, readers and writers."""

__version__ = "0.1.0"
