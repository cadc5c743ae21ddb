"""Every RQ job runs inside a Flask app context (python -m workers.worker uses workers.app_job.AppJob).

The app is built once per worker process here, at import. Our worker runs jobs in that process,
so every job reuses its connection pool and statement cache. Under rq's forking worker (stock
`rq worker`, still used by a few tests) a job runs in a forked child, which must never use the
parent's pooled connections: the child drops them (without closing the parent's) first.
A job that starts where an app context is already active (tests draining queues in-process)
uses that app instead.
"""

import functools
import os

from flask import has_app_context
from rq.job import Job

from ticketing import create_app
from ticketing.extensions import db

app = create_app()
_BUILT_IN = os.getpid()


class AppJob(Job):
    @property
    def func(self):
        job_function = super().func
        if has_app_context():
            return job_function

        def in_app_context(*args, **kwargs):
            with app.app_context():
                if os.getpid() != _BUILT_IN:  # a forked work horse
                    db.engine.dispose(close=False)
                return job_function(*args, **kwargs)

        return functools.update_wrapper(in_app_context, job_function)
