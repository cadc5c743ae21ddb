"""Every RQ job runs inside a Flask app context (rq worker --job-class workers.app_job.AppJob).

A job that starts where an app context is already active (tests draining queues in-process)
uses that app; otherwise the worker builds one app from the environment, once per process.
"""

import functools

from flask import has_app_context
from rq.job import Job

_app = None


def worker_app():
    global _app
    if _app is None:
        from ticketing import create_app

        _app = create_app()
    return _app


class AppJob(Job):
    @property
    def func(self):
        job_function = super().func
        if has_app_context():
            return job_function

        def in_app_context(*args, **kwargs):
            with worker_app().app_context():
                return job_function(*args, **kwargs)

        return functools.update_wrapper(in_app_context, job_function)
