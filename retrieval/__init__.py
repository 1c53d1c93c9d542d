"""Retrieval and answering over Vietnamese provincial digital-transformation plans.

Pipeline stages, one module each: normalize -> structure -> chunk -> tokenize -> embed
-> index -> search -> answer.  The `Engine` (engine.py) ties them together and is the
only thing the CLI, the HTTP service and the evaluation talk to.
"""

__version__ = "0.1.0"
