"""The host side of a serial session with a packetclip device (docs/protocol.md, "Host rules").

    with Session.open("socket://127.0.0.1:5555") as s:
        s.wait_boot()
        info = s.hello()
        counters, outputs = s.infer(inputs_int8, window=16)
        print(s.stats(), s.link.to_dict())

Requests are pipelined: up to `window` INFER frames are outstanding, each with its own seq
(1..255; 0 is what the device uses for errors it cannot attribute). A reply is accepted only
when it decodes, its CRC matches, its type and length are right and its seq is outstanding.

Recovery. After a damaged reply, ERROR BAD_CRC/BAD_FRAME/TOO_LONG, a boot line or a timeout,
the session sends a lone 0x00 (ends any partial frame on the device) and a HELLO, and reads
until that HELLO's INFO arrives. The device answers in order, so the INFO is a barrier: every
request sent before it has been answered or lost, and no stale reply can arrive later. Valid
replies seen on the way are still accepted. Then the INFO is checked against the first one
(a rebooted device must run the same model) and every request still unanswered is sent again
with a fresh seq. A seq is reused only after 254 others, and at most `window` requests plus one
HELLO are ever in flight past a barrier, so a late reply can never be taken for another.
"""

import select
import socket
import time
from collections import deque
from dataclasses import asdict, dataclass, field

import numpy as np

from packetclip.device import protocol as P
from packetclip.errors import PacketclipError

MAX_WINDOW = 64


class DeviceError(PacketclipError):
    """The device answered with an error that retrying cannot fix (ENGINE, BAD_LENGTH, ...)."""


class LinkLost(PacketclipError):
    """No usable reply within the retry budget."""


@dataclass
class LinkStats:
    tx_bytes: int = 0
    rx_bytes: int = 0
    tx_frames: int = 0
    rx_frames: int = 0          # chunks received (frames, boot lines, garbage)
    accepted: int = 0           # replies accepted
    rx_bad: int = 0             # chunks that failed COBS/CRC/length checks
    dropped: int = 0            # valid frames for no outstanding request
    duplicates: int = 0         # valid replies for a request already answered
    device_errors: dict = field(default_factory=dict)  # ERROR code name -> count
    timeouts: int = 0
    recoveries: int = 0
    resent: int = 0
    reboots: int = 0
    boot_lines: list = field(default_factory=list)

    def to_dict(self):
        d = asdict(self)
        d["boot_lines"] = d["boot_lines"][-5:]
        return d


class Session:
    def __init__(self, ser, timeout=2.0, link_bps=None, log=None, max_recoveries=None, give_up_s=30.0,
                 min_timeout=0.05):
        self.ser = ser
        self.timeout = float(timeout)
        self.min_timeout = float(min_timeout)
        self.give_up_s = float(give_up_s)
        self._srtt = None
        self._sent_at = {}
        self.link_bps = link_bps       # bytes/s of the link if known (for timeouts), None = fast
        self.log = log or (lambda msg: None)
        self.max_recoveries = max_recoveries
        self.link = LinkStats()
        self.info = None
        self.boot = None
        self._deframer = P.Deframer()
        self._seq = 0
        self._answered = deque(maxlen=128)
        self._inbox = deque()          # chunks read but not yet handled
        try:
            self._fd = ser.fileno()
        except Exception:  # loop:// and friends have no file descriptor
            self._fd = None

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(cls, url, baud=115200, **kw):
        import serial

        try:
            ser = serial.serial_for_url(url, baudrate=baud or 115200, timeout=0, write_timeout=30, do_not_open=True)
            if str(url).startswith("socket://"):
                # pyserial's socket open() discards whatever already arrived, which can be the
                # boot line a device sends the moment we connect: keep it.
                ser.reset_input_buffer = lambda: None
            ser.open()
            if str(url).startswith("socket://"):
                del ser.reset_input_buffer
                sock = getattr(ser, "_socket", None)
                if sock is not None:   # small pipelined frames must not wait for ACKs (Nagle)
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (serial.SerialException, ValueError, OSError) as exc:
            raise PacketclipError(f"cannot open {url}: {exc}; check the port (see `packetclip flash --help` for emulated boards)") from None
        return cls(ser, **kw)

    def close(self):
        try:
            self.ser.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- bytes ---------------------------------------------------------------------------
    def _write(self, data):
        self.ser.write(data)
        self.link.tx_bytes += len(data)

    def _send(self, type_, body=b""):
        self._seq = self._seq % 255 + 1          # 1..255, never 0
        self._write(P.encode_frame(type_, self._seq, body))
        self.link.tx_frames += 1
        return self._seq

    def _read_chunks(self, wait):
        """Chunks that arrive within `wait` seconds (returns as soon as there is at least one)."""
        if self._inbox:
            out = list(self._inbox)
            self._inbox.clear()
            return out
        deadline = time.monotonic() + wait
        while True:
            data = self.ser.read(65536)
            if data:
                self.link.rx_bytes += len(data)
                chunks = self._deframer.feed(data)
                if chunks:
                    self.link.rx_frames += len(chunks)
                    return chunks
            left = deadline - time.monotonic()
            if left <= 0:
                return []
            if self._fd is not None:
                select.select([self._fd], [], [], min(left, 0.05))
            else:
                time.sleep(min(left, 0.001))

    def _classify(self, chunk):
        """-> ("boot", dict) | ("bad", None) | ("frame", Frame)."""
        if P.is_boot_line(chunk):
            return "boot", P.parse_boot_line(chunk)
        try:
            return "frame", P.decode_frame(chunk)
        except P.FrameError:
            self.link.rx_bad += 1
            return "bad", None

    def _on_boot(self, boot):
        self.link.boot_lines.append(boot)
        if self.boot is not None:
            self.link.reboots += 1
            self.log(f"device rebooted: {boot}")
        self.boot = boot

    # -- handshake -----------------------------------------------------------------------
    def wait_boot(self, timeout=5.0):
        """Wait for the boot line; None if none came (a real board that booted earlier)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for ch in self._read_chunks(min(0.1, max(0.0, deadline - time.monotonic()))):
                kind, val = self._classify(ch)
                if kind == "boot":
                    self._on_boot(val)
                    if val.get("proto") not in (None, P.PROTO_VERSION):
                        raise DeviceError(f"device speaks protocol {val.get('proto')}, this packetclip speaks {P.PROTO_VERSION}; "
                                          "update the firmware or packetclip")
                    return val
        return None

    def hello(self):
        """HELLO -> INFO (retried); remembers the first INFO to check the device against later."""
        return self._barrier("handshake", {}, None, None, None, None)[0]

    def _check_info(self, info):
        if info.proto_version != P.PROTO_VERSION:
            raise DeviceError(f"device speaks protocol {info.proto_version}, this packetclip speaks {P.PROTO_VERSION}")
        if self.info is None:
            self.info = info
        elif (info.model_sha256, info.input_shape, info.output_shape) != (self.info.model_sha256, self.info.input_shape, self.info.output_shape):
            raise DeviceError(f"the device came back with a different model ({info.model_sha256[:12]}..., was {self.info.model_sha256[:12]}...); "
                              "it was reflashed mid-run: run again")

    def stats(self):
        """STATS -> dict of the device's counters."""
        return self._run([(P.STATS, b"")], window=1, expect=P.STATS_REPLY, parse=P.parse_stats)[0]

    # -- inference -----------------------------------------------------------------------
    def infer(self, inputs, window=16, progress=None):
        """int8 inputs [n, ...] -> (counter deltas uint32 [n], outputs int8 [n, output_bytes])."""
        if self.info is None:
            self.hello()
        X = np.ascontiguousarray(np.asarray(inputs, dtype=np.int8).reshape(len(inputs), -1))
        if X.shape[1] != self.info.input_bytes:
            raise PacketclipError(f"inputs have {X.shape[1]} bytes per row, the device expects {self.info.input_bytes}")
        nout = self.info.output_bytes
        window = max(1, min(int(window), MAX_WINDOW))
        parse = lambda body: P.parse_result(body, nout)  # noqa: E731
        res = self._run([(P.INFER, X[i].tobytes()) for i in range(len(X))], window, P.RESULT, parse, progress)
        counters = np.array([r[0] for r in res], dtype=np.uint32)
        outs = np.frombuffer(b"".join(r[1] for r in res), dtype=np.int8).reshape(len(res), nout) if res else np.zeros((0, nout), np.int8)
        return counters, outs

    # -- the pipelined engine ------------------------------------------------------------
    def _rtt(self, seq):
        t0 = self._sent_at.pop(seq, None)
        if t0 is not None:
            sample = time.monotonic() - t0
            self._srtt = sample if self._srtt is None else 0.875 * self._srtt + 0.125 * sample

    def _round_timeout(self, in_flight_bytes):
        """How long silence may last before a request counts as lost: a multiple of the
        measured round trip (bounded by `timeout`) plus the time to move the bytes in flight."""
        t = self.timeout if self._srtt is None else min(self.timeout, max(self.min_timeout, 10 * self._srtt))
        if self.link_bps:
            t += 3.0 * (in_flight_bytes + 256) / self.link_bps
        return t

    def _run(self, reqs, window, expect, parse, progress=None):
        n = len(reqs)
        results = [None] * n
        pending = deque(range(n))
        outst = {}                     # seq -> request index
        wire_len = [len(P.encode_frame(t, 1, b)) for t, b in reqs]
        done, last_progress, recoveries = 0, time.monotonic(), 0
        while done < n:
            batch = bytearray()
            while pending and len(outst) < window:
                i = pending.popleft()
                self._seq = self._seq % 255 + 1
                batch += P.encode_frame(reqs[i][0], self._seq, reqs[i][1])
                outst[self._seq] = i
                self._sent_at[self._seq] = time.monotonic()
                self.link.tx_frames += 1
            if batch:
                self._write(bytes(batch))
            trouble = None
            for ch in self._read_chunks(0.05):
                kind, val = self._classify(ch)
                if kind == "boot":
                    self._on_boot(val)
                    trouble = "boot line"
                elif kind == "bad":
                    trouble = trouble or "damaged reply"
                else:
                    got = self._accept(val, outst, expect, parse, results)
                    if got is True:
                        done += 1
                        last_progress = time.monotonic()
                        if progress:
                            progress(1)
                    elif got:
                        trouble = trouble or got
            if done < n and not trouble and outst and \
                    time.monotonic() - last_progress > self._round_timeout(sum(wire_len[i] for i in outst.values())):
                self.link.timeouts += 1
                trouble = "timeout"
            if trouble and done < n:
                recoveries += 1
                if self.max_recoveries is not None and recoveries > self.max_recoveries:
                    raise LinkLost(f"gave up after {recoveries - 1} recoveries (last: {trouble}); check the link")
                done += self._recover(trouble, outst, pending, expect, parse, results, progress)
                last_progress = time.monotonic()
        return results

    def _accept(self, f, outst, expect, parse, results):
        """True if `f` answers an outstanding request; a trouble string; or None (dropped)."""
        if f.type == P.ERROR:
            try:
                code, req_type = P.parse_error(f.body)
            except P.FrameError:
                self.link.rx_bad += 1
                return "damaged reply"
            name = P.ERROR_NAMES.get(code, str(code))
            self.link.device_errors[name] = self.link.device_errors.get(name, 0) + 1
            if code in (P.ERR_BAD_CRC, P.ERR_BAD_FRAME, P.ERR_TOO_LONG):
                return f"device saw a damaged request ({name})"
            if f.seq in outst:
                raise DeviceError(f"device answered ERROR {name} to request {outst[f.seq]} "
                                  f"({P.TYPE_NAMES.get(req_type, req_type)}); "
                                  + ("the firmware's engine failed" if code == P.ERR_ENGINE else "firmware and host disagree on the protocol"))
            self.link.dropped += 1
            return None
        i = outst.get(f.seq)
        if i is None or f.type != expect:
            if f.seq in self._answered:
                self.link.duplicates += 1
            else:
                self.link.dropped += 1
            return None
        try:
            value = parse(f.body)
        except P.FrameError:
            self.link.rx_bad += 1
            return "reply of the wrong length"
        results[i] = value
        del outst[f.seq]
        self._rtt(f.seq)
        self._answered.append(f.seq)
        self.link.accepted += 1
        return True

    def _barrier(self, why, outst, expect, parse, results, progress):
        """Send 0x00 + HELLO and read until an INFO answers one of this barrier's HELLOs.

        Valid replies to outstanding requests met on the way are accepted. A damaged chunk
        or a device error may have been our INFO or HELLO, so another HELLO goes out (at most
        once per round-trip time); silence for a round timeout does the same. Returns
        (Info, replies accepted)."""
        hellos, accepted = set(), 0
        give_up = time.monotonic() + self.give_up_s
        last_send = 0.0

        def send():
            nonlocal last_send
            self._seq = self._seq % 255 + 1
            seq = self._seq
            self._write(b"\x00" + P.encode_frame(P.HELLO, seq))   # one write: no Nagle stall
            self.link.tx_frames += 1
            hellos.add(seq)
            self._sent_at[seq] = last_send = time.monotonic()

        send()
        resend = False
        while True:
            now = time.monotonic()
            if now > give_up:
                raise LinkLost(f"the device stopped answering ({why}) for {self.give_up_s:.0f} s; "
                               "check the link, the baud rate and that packetclip firmware runs there")
            if now - last_send > self._round_timeout(256 * (len(outst) + 1)):
                self.link.timeouts += 1
                send()
            gap = max(0.002, 2 * (self._srtt or 0.0))
            if resend and now - last_send > gap:
                send()
                resend = False
            for ch in self._read_chunks(gap if resend else 0.02):
                kind, val = self._classify(ch)
                if kind == "boot":
                    self._on_boot(val)
                    resend = True          # a HELLO sent before the reset is lost
                    continue
                if kind == "bad":
                    resend = True
                    continue
                if val.type == P.INFO and val.seq in hellos:
                    try:
                        info = P.parse_info(val.body)
                    except P.FrameError:
                        self.link.rx_bad += 1
                        resend = True
                        continue
                    self.link.accepted += 1
                    self._rtt(val.seq)
                    self._check_info(info)
                    return info, accepted
                if val.type == P.ERROR:
                    try:
                        code, _ = P.parse_error(val.body)
                    except P.FrameError:
                        self.link.rx_bad += 1
                        continue
                    if code in (P.ERR_BAD_CRC, P.ERR_BAD_FRAME, P.ERR_TOO_LONG):
                        name = P.ERROR_NAMES[code]
                        self.link.device_errors[name] = self.link.device_errors.get(name, 0) + 1
                        resend = True
                        continue
                if expect is not None and self._accept(val, outst, expect, parse, results) is True:
                    accepted += 1
                    if progress:
                        progress(1)
                elif expect is None:
                    self.link.dropped += 1

    def _recover(self, why, outst, pending, expect, parse, results, progress):
        """Barrier, check the device, requeue what is unanswered with new seqs."""
        self.link.recoveries += 1
        self.log(f"recovering: {why}; {len(outst)} request(s) outstanding")
        _, accepted = self._barrier(why, outst, expect, parse, results, progress)
        again = sorted(outst.values())   # oldest first, back to the front of the queue
        outst.clear()
        self.link.resent += len(again)
        pending.extendleft(reversed(again))
        return accepted
