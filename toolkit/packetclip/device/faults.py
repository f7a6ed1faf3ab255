"""A fault-injecting TCP shim between the harness and a device's TCP serial port.

    shim = FaultShim(("127.0.0.1", device_port), drop=0.003, flip=0.004, dup=0.003, seed=1)
    url = shim.start()          # socket://127.0.0.1:<shim port>: give it to the harness
    ...
    shim.reset_device()         # drop the device connection and reconnect (the host port reboots)
    shim.stop()

Each byte, independently and in each direction, is dropped, bit-flipped (one random bit) or
sent twice at the given rates, from a seeded generator per direction, so a run is repeatable
up to thread timing. `drop_frame` drops whole frames (everything up to and including the next
0x00 delimiter, both directions): the way a link loses one LOAD chunk of a large input, or
its LOADED, while the frames around it arrive intact. `baud` throttles both directions to what a UART moves (10 bits per byte,
115200 baud = 11,520 B/s), to measure link utilization as a real serial line would give it.

`reset_device()` reconnects to the device. The host-port firmware treats a new client as a
fresh boot (state cleared, boot line sent); give `restart=` a callable that restarts the
device process (e.g. kill and relaunch the host port) to test a hard reset instead.
"""

import random
import socket
import threading
import time
from dataclasses import dataclass, field


@dataclass
class DirectionStats:
    bytes_in: int = 0
    bytes_out: int = 0
    dropped: int = 0
    flipped: int = 0
    duplicated: int = 0
    frames_dropped: int = 0


@dataclass
class ShimStats:
    to_device: DirectionStats = field(default_factory=DirectionStats)
    to_host: DirectionStats = field(default_factory=DirectionStats)
    resets: int = 0

    def to_dict(self):
        return {"to_device": self.to_device.__dict__.copy(), "to_host": self.to_host.__dict__.copy(), "resets": self.resets}


class _Pacer:
    """Paces bytes as a UART would move them (`bps` bytes/s; None = no limit).

    A chunk starts when it arrives or when the previous one is out, whichever is later, and
    each piece leaves when its last byte would: schedules are absolute, so a thread that
    oversleeps does not slow the line down, and an idle line banks no time."""

    def __init__(self, bps):
        self.bps = bps
        self.t = 0.0

    def start(self, n):
        if not self.bps:
            return 0.0
        start = max(self.t, time.monotonic())
        self.t = start + n / self.bps
        return start

    def until(self, start, sent):
        if not self.bps:
            return
        delay = start + sent / self.bps - time.monotonic()
        if delay > 0:
            time.sleep(delay)


class FaultShim:
    def __init__(self, upstream, drop=0.0, flip=0.0, dup=0.0, seed=0, baud=None, restart=None, faults_to_device=True,
                 faults_to_host=True, drop_frame=0.0):
        self.upstream = tuple(upstream)
        self.rates = (float(drop), float(flip), float(dup))
        self.drop_frame = float(drop_frame)
        self._dropping = [False, False]      # per direction: inside a frame being dropped
        self._frame_start = [True, True]     # per direction: the next non-zero byte starts a frame
        self.seed = seed
        self.bps = baud / 10.0 if baud else None
        self.restart = restart
        self.fault_dirs = (faults_to_device, faults_to_host)
        self.stats = ShimStats()
        self._lock = threading.Lock()
        self._client = None
        self._dev = None
        self._gen = 0
        self._stop = threading.Event()
        self._listen = None
        self._threads = []
        self.enabled = True      # faults can be paused (e.g. for the handshake)

    def start(self):
        self._listen = socket.create_server(("127.0.0.1", 0))
        self._listen.settimeout(0.2)
        t = threading.Thread(target=self._serve, name="faultshim-accept", daemon=True)
        t.start()
        self._threads.append(t)
        return f"socket://127.0.0.1:{self._listen.getsockname()[1]}"

    @property
    def url(self):
        return f"socket://127.0.0.1:{self._listen.getsockname()[1]}"

    def _connect_device(self):
        last = None
        for _ in range(100):
            try:
                s = socket.create_connection(self.upstream, timeout=2)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                s.settimeout(0.2)
                return s
            except OSError as exc:
                last = exc
                time.sleep(0.05)
        raise OSError(f"fault shim: cannot reach the device at {self.upstream}: {last}")

    def _serve(self):
        while not self._stop.is_set():
            try:
                client, _ = self._listen.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            client.settimeout(0.2)
            with self._lock:
                if self._client is not None:      # one client at a time, like a serial port
                    client.close()
                    continue
                self._client = client
                self._dev = self._connect_device()
            rngs = [random.Random(self.seed * 2 + k) for k in range(2)]
            pacers = [_Pacer(self.bps), _Pacer(self.bps)]
            for k in range(2):
                t = threading.Thread(target=self._pump, args=(k, rngs[k], pacers[k]), name=f"faultshim-{k}", daemon=True)
                t.start()
                self._threads.append(t)

    def _mangle(self, data, rng, st, faulty, k=0):
        drop, flip, dup = self.rates
        if not faulty or not self.enabled or (drop == flip == dup == self.drop_frame == 0):
            return data
        out = bytearray()
        for b in data:
            if self.drop_frame:
                if self._dropping[k]:           # inside a dropped frame: up to its delimiter
                    self._dropping[k] = b != 0
                    continue
                if b != 0 and self._frame_start[k]:
                    self._frame_start[k] = False
                    if rng.random() < self.drop_frame:
                        st.frames_dropped += 1
                        self._dropping[k] = True
                        continue
                if b == 0:
                    self._frame_start[k] = True
            r = rng.random()
            if r < drop:
                st.dropped += 1
                continue
            r -= drop
            if r < flip:
                st.flipped += 1
                out.append(b ^ (1 << rng.randrange(8)))
                continue
            r -= flip
            out.append(b)
            if r < dup:
                st.duplicated += 1
                out.append(b)
        return bytes(out)

    def _pump(self, k, rng, pacer):
        """k = 0: harness -> device; k = 1: device -> harness."""
        st = self.stats.to_device if k == 0 else self.stats.to_host
        client = self._client
        while not self._stop.is_set() and self._client is client:
            with self._lock:
                dev = self._dev
            if dev is None:
                return
            src = client if k == 0 else dev
            try:
                data = src.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                data = None
            if not data:
                if src is client:            # the harness hung up: end the session
                    self._close_client()
                    return
                time.sleep(0.01)             # the device went away: wait for reset_device()
                continue
            st.bytes_in += len(data)
            data = self._mangle(data, rng, st, self.fault_dirs[k], k)
            start = pacer.start(len(data))
            for i in range(0, len(data), 16):
                piece = data[i:i + 16]
                pacer.until(start, i + len(piece))
                with self._lock:
                    dst = self._dev if k == 0 else client
                try:
                    dst.sendall(piece)
                    st.bytes_out += len(piece)
                except (OSError, AttributeError):
                    break

    def _close_client(self):
        with self._lock:
            for s in (self._client, self._dev):
                if s is not None:
                    try:
                        s.close()
                    except OSError:
                        pass
            self._client = self._dev = None

    def reset_device(self):
        """Cut the device link and reconnect: the host port boots afresh (or `restart` runs first)."""
        with self._lock:
            old = self._dev
            self._gen += 1
        if old is not None:
            try:
                old.close()
            except OSError:
                pass
        if self.restart is not None:
            self.restart()
        new = self._connect_device()
        with self._lock:
            self._dev = new
            self.stats.resets += 1

    def stop(self):
        self._stop.set()
        try:
            self._listen.close()
        except OSError:
            pass
        self._close_client()
        for t in self._threads:
            t.join(timeout=1)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
