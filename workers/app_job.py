"""Every RQ job runs inside a Flask app context (python -m workers.worker uses workers.app_job.AppJob).

The worker imports this module before it forks a work horse per job, so the app is built once
per worker process here, at import, and every horse inherits it instead of paying for
create_app() again. A job that starts where an app context is already active (tests draining
queues in-process) uses that app instead.
"""

import functools

from flask import has_app_context
from rq.job import Job

from ticketing import create_app
from ticketing.extensions import db

app = create_app()


class AppJob(Job):
    @property
    def func(self):
        job_function = super().func
        if has_app_context():
            return job_function

        def in_app_context(*args, **kwargs):
            with app.app_context():
                db.engine.dispose(close=False)  # never share the parent's pooled connections
                return job_function(*args, **kwargs)

        return functools.update_wrapper(in_app_context, job_function)
