"""gunicorn's settings for coachapp, read from the directory gunicorn starts in.

Command-line options (--workers, --bind) still apply; this file only adds the hook below.
"""

import gc


def post_worker_init(worker) -> None:
    """Once a worker has loaded coachapp, collect what loading left behind and keep the rest
    (modules, the app) out of every later garbage collection.

    Otherwise Python's first full collection comes a few dozen requests in and walks every
    object loading made, pausing that request for 70 to 300 ms, in both workers at once; and each
    later full collection walks them all again.
    """
    gc.collect()
    gc.freeze()
