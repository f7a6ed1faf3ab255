"""Benign clients: each benign host runs its own mix of everyday requests for the whole capture.

One thread per host draws activities from its seeded mix (plan.Host.mix) with exponential
pauses; every request is a real client (curl, dig, mosquitto_pub, ssh, ping) bounded by its
own options and by `timeout`. Sensor hosts also keep one MQTT subscription open throughout.
"""

import random
import threading
from collections import Counter


class Benign:
    def __init__(self, procs, topo, plan, key, seed):
        self.procs, self.topo, self.plan, self.key = procs, topo, plan, key
        self.stop_event = threading.Event()
        self.threads, self.subs = [], []
        self.counts = Counter()   # (kind, ok) -> n
        self.lock = threading.Lock()
        self.seed = seed

    def argv(self, kind, host, rng):
        v, sec = self.plan.victim, self.plan.secrets
        if kind == "http":
            paths = ["/", "/api/status.json"] + [f"/page{rng.randrange(8)}.html" for _ in range(3)] + \
                    [f"/static/blob{rng.randrange(6)}.bin", "/missing.html"]
            urls = [f"http://{v}{rng.choice(paths)}" for _ in range(rng.choice([1, 1, 1, 2, 3]))]
            return ["curl", "-s", "-o", "/dev/null", "--max-time", "10", *urls]
        if kind == "http_auth":
            return ["curl", "-s", "-o", "/dev/null", "--max-time", "10", "-u", f"{sec['http_user']}:{sec['http_password']}",
                    f"http://{v}/admin/"]
        if kind == "dns":
            names = [f"{h.name}.lab" for h in self.plan.hosts if h.role != "attacker"] + ["www.lab", "mqtt.lab"]
            q = [rng.choice(names), rng.choice(["A", "A", "A", "TXT", "MX"]) if rng.random() < 0.2 else "A"]
            return ["dig", "+time=2", "+tries=1", *(["+tcp"] if rng.random() < 0.05 else []), f"@{v}", *q]
        if kind == "mqtt_pub":
            topic = f"lab/{host.name}/{rng.choice(['temperature', 'humidity', 'door', 'power'])}"
            return ["mosquitto_pub", "-h", v, "-q", str(rng.choice([0, 0, 1])), "-t", topic, "-m", f"{rng.uniform(0, 100):.2f}"]
        if kind == "ssh":
            cmd = rng.choice(["uptime", "cat /proc/loadavg", "ls -la", f"head -c {rng.randint(1000, 200000)} /dev/zero"])
            return ["ssh", "-F", "/dev/null", "-i", str(self.key), "-o", "StrictHostKeyChecking=no", "-o",
                    "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR",
                    f"{sec['ssh_user']}@{v}", cmd]
        if kind == "ping":
            return ["ping", "-n", "-q", "-c", str(rng.randint(1, 4)), "-i", "0.5", "-W", "1", v]
        raise ValueError(kind)

    def _loop(self, host, rng):
        kinds = [k for k, w in host.mix.items() if w > 0]
        weights = [host.mix[k] for k in kinds]
        ns = self.topo.ns(host.name)
        while not self.stop_event.is_set():
            kind = rng.choices(kinds, weights)[0]
            rc, _, _ = self.procs.run(ns, self.argv(kind, host, rng), f"benign {kind}", 15)
            with self.lock:
                self.counts[(kind, rc == 0)] += 1
            self.stop_event.wait(rng.expovariate(1.0 / host.mean_gap_s))

    def start(self, budget_s):
        for _i, h in enumerate(self.plan.hosts):
            if h.role != "benign":
                continue
            rng = random.Random(f"{self.seed}/benign/{h.name}")
            if h.profile == "sensor":
                self.subs.append(self.procs.start(self.topo.ns(h.name), ["mosquitto_sub", "-h", self.plan.victim, "-t",
                                                  "lab/#", "-k", "20"], f"benign mqtt_sub {h.name}", budget_s))
            t = threading.Thread(target=self._loop, args=(h, rng), name=f"benign-{h.name}", daemon=True)
            t.start()
            self.threads.append(t)

    def stop(self):
        self.stop_event.set()
        self.procs.stop_all(prefix="benign")  # the requests in flight: no waiting for their timeouts
        for t in self.threads:
            t.join(timeout=20)
        for p in self.subs:
            self.procs.stop(p)
        with self.lock:
            out = {}
            for (kind, ok), n in sorted(self.counts.items()):
                d = out.setdefault(kind, {"ok": 0, "failed": 0})
                d["ok" if ok else "failed"] += n
            return out
