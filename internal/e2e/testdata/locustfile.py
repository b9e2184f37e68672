"""The e2e matrix's user for Locust (internal/e2e): the herd program's
Visitor, with the same class name, endpoints, weights, wait and signals,
so that a herd master can give its users to Locust workers and a Locust
master its users to herd workers."""

import os

from locust import HttpUser, LoadTestShape, constant, task
from locust.exception import StopUser

PROC = {"X-E2E-Proc": str(os.getpid())}


class Visitor(HttpUser):
    wait_time = constant(0.01)

    def get(self, path):
        r = self.client.get(path, headers=PROC)
        if r.headers.get("X-E2E-Signal") == "halt":
            self.client.get("/trip", headers=PROC)  # fails: the threshold cases' trigger
            raise StopUser()
        # "stop" (herd.ErrStopTest) has no Locust 2.12 equivalent: the
        # matrix does not send it to Locust users.

    @task(6)
    def fast(self):
        self.get("/fast")

    @task(3)
    def fail(self):
        self.get("/fail")

    @task(1)
    def stall(self):
        self.get("/stall")


if os.environ.get("E2E_SHAPE"):
    SCALE = int(os.environ["E2E_SHAPE"])

    class Shape(LoadTestShape):
        """herd's --shape stages:1s:2:100,2s:4:100, every stage SCALE times longer."""

        def tick(self):
            t = self.get_run_time()
            if t < 1 * SCALE:
                return (2, 100)
            if t < 3 * SCALE:
                return (4, 100)
            return None
