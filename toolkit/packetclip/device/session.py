"""The host side of a serial session with a packetclip device (docs/protocol.md, "Host rules").

    with Session.open("socket://127.0.0.1:5555") as s:
        s.wait_boot()
        info = s.hello()
        counters, outputs = s.infer(inputs_int8, window=16)
        print(s.stats(), s.link.to_dict())

Requests are pipelined: up to `window` frames are outstanding, each with its own seq (1..255;
0 is what the device uses for errors it cannot attribute). One inference is one job: an INFER
when the input fits the body limit the device announced in INFO, else LOAD chunks and a RUN;
the job is done when its RESULT arrives. A reply is accepted only when it decodes, its CRC
matches, its type and length are right and its seq is outstanding.

Recovery. After a damaged reply, ERROR BAD_CRC/BAD_FRAME/TOO_LONG (or BAD_OFFSET/NOT_LOADED,
which follow a lost chunk), a boot line or a timeout, the session sends a lone 0x00 (ends any
partial frame on the device) and a HELLO, and reads until that HELLO's INFO arrives. The device
answers in order, so the INFO is a barrier: every request sent before it has been answered or
lost, and no stale reply can arrive later. Valid replies seen on the way are still accepted.
Then the INFO is checked against the first one (a rebooted device must run the same model) and
every unfinished job is sent again from its first frame with fresh seqs. A seq is reused only
after 254 others, and at most `window` requests plus one HELLO are ever in flight past a
barrier, so a late reply can never be taken for another.
"""

import select
import socket
import struct
import time
from collections import deque
from dataclasses import asdict, dataclass, field

import numpy as np

from packetclip.device import protocol as P
from packetclip.errors import PacketclipError

MAX_WINDOW = 64
MAX_JOB_RETRIES = 16    # restarts of one input after refused chunks before giving up


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
        self.missions = None           # the device's prototypes record (INFO), updated by push_prototypes
        self.mission_scores = None     # (best uint8 [n], scores int16 [n, K]) of the last infer, when K > 0
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
        try:
            self.ser.write(data)
        except OSError as exc:   # pyserial's SerialException is an OSError
            raise LinkLost(f"the link closed while sending ({exc}); check that the device is connected "
                           "and that nothing else holds the port") from None
        self.link.tx_bytes += len(data)

    def _silence(self):
        """Why the device may not be answering, from what arrived (for a give-up message)."""
        if self._deframer.discarded:
            return (f"; it sent {self._deframer.discarded:,} bytes that were no frame (wrong baud rate, "
                    "or not packetclip firmware?)")
        if self.link.rx_bad:
            return f"; {self.link.rx_bad} damaged replies"
        return "" if self.link.rx_bytes else "; nothing at all came back"

    def _next_seq(self):
        """The next seq (1..255, never 0), counted as one frame sent at this moment."""
        self._seq = self._seq % 255 + 1
        self._sent_at[self._seq] = time.monotonic()
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
            try:
                data = self.ser.read(65536)
            except OSError as exc:
                raise LinkLost(f"the device closed the link ({exc}); check the cable or the emulator, "
                               "then run again") from None
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
                                          "update the firmware (packetclip build + flash) or packetclip")
                    return val
        return None

    def hello(self):
        """HELLO -> INFO (retried); remembers the first INFO to check the device against later."""
        return self._barrier("handshake", None)[0]

    def _check_info(self, info):
        if info.proto_version != P.PROTO_VERSION:
            raise DeviceError(f"device speaks protocol {info.proto_version}, this packetclip speaks {P.PROTO_VERSION}; "
                              "update the firmware (packetclip build + flash) or packetclip")
        if self.info is None:
            self.info = info
            # the longest legal reply: a RESULT of this model (plus its headers) or an INFO
            self._deframer.max_chunk = P.max_encoded_len(max(info.output_bytes, 0) + 4096)
            # the prototypes it holds: a reboot forgets pushed ones (RAM), which later INFOs reveal
            self.missions = info.prototypes
        elif self.missions and info.prototypes and info.prototypes["sha256"] != self.missions["sha256"]:
            raise DeviceError(f"the device came back with prototype set {info.prototypes['sha256'][:12]}... instead of "
                              f"{self.missions['sha256'][:12]}... (rebooted: pushed prototypes live in RAM); push them again")
        elif (info.model_sha256, info.input_shape, info.output_shape) != (self.info.model_sha256, self.info.input_shape, self.info.output_shape):
            raise DeviceError(f"the device came back with a different model ({info.model_sha256[:12]}..., was {self.info.model_sha256[:12]}...); "
                              "it was reflashed mid-run: run again")

    def stats(self):
        """STATS -> dict of the device's counters."""
        return self._run([[(P.STATS, b"")]], 1, P.parse_stats)[0]

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
        limit = self.info.max_request_body
        k = (self.missions or {}).get("count", 0)
        jobs = [P.input_frames(X[i].tobytes(), limit) for i in range(len(X))]
        res = self._run(jobs, window, lambda body: P.parse_result(body, nout, k), progress)
        counters = np.array([r[0] for r in res], dtype=np.uint32)
        outs = np.frombuffer(b"".join(r[1] for r in res), dtype=np.int8).reshape(len(res), nout) if res else np.zeros((0, nout), np.int8)
        self.mission_scores = None
        if k:   # the RESULT missions block: best mission and every score (packetclip.missions.score)
            self.mission_scores = (np.array([r[2][0] for r in res], np.uint8),
                                   np.array([r[2][1] for r in res], np.int16).reshape(len(res), k))
        return counters, outs

    # -- temporal context: one FLOW per flow ----------------------------------------------
    def reset_context(self):
        """RESET_CONTEXT: the device forgets every host and expects flow id 0 next."""
        if self.info is None:
            self.hello()
        if self._run([[(P.RESET_CONTEXT, b"")]], 1, P.parse_context)[0] != 0:
            raise DeviceError("the device did not restart its flow ids at 0 after RESET_CONTEXT; firmware and host disagree")

    def flows(self, keys, starts_us, rows, window=8, progress=None):
        """Stream flows, in the order given, to a device that keeps each host's history:
        RESET_CONTEXT, then one FLOW per flow with ids 0..n-1. -> (counter deltas uint32 [n],
        history lengths uint8 [n], outputs int8 [n, output_bytes]).

        Order is kept however the link misbehaves: the device computes FLOW ids strictly in
        sequence (a FLOW past the next id is refused with FLOW_GAP and sent again after the
        recovery barrier, in order), and answers a FLOW it already computed from its replay
        buffer, so no flow enters a host's history twice. At most the device's replay depth of
        FLOWs is in flight."""
        if self.info is None:
            self.hello()
        ctx = self.info.temporal
        if ctx is None:
            raise DeviceError("the device keeps no flow history (a per-flow model, or firmware built with --hosts 0); "
                              "send whole inputs (conform does) or rebuild with `packetclip build --hosts N`")
        R = np.ascontiguousarray(np.asarray(rows, dtype=np.int8).reshape(len(rows), -1))
        if R.shape[1] * ctx["window"] != self.info.input_bytes:
            raise PacketclipError(f"flow rows have {R.shape[1]} bytes, the device's model takes windows of "
                                  f"{ctx['window']} rows of {self.info.input_bytes // ctx['window']}")
        nout = self.info.output_bytes
        self.reset_context()
        jobs = [[(P.FLOW, P.pack_flow(i, int(k), int(t), R[i].tobytes()))]
                for i, (k, t) in enumerate(zip(np.asarray(keys).tolist(), np.asarray(starts_us).tolist(), strict=True))]
        window = max(1, min(int(window), ctx["replay"], MAX_WINDOW))
        res = self._run(jobs, window, lambda body: P.parse_flow_result(body, nout), progress, stateful=True)
        ids = [r[1] for r in res]
        if ids != list(range(len(res))):
            first = next(i for i, f in enumerate(ids) if f != i)
            raise DeviceError(f"the device answered flow {first} with the result of flow {ids[first]}; "
                              "firmware and host disagree on the protocol")
        counters = np.array([r[0] for r in res], dtype=np.uint32)
        history = np.array([r[2] for r in res], dtype=np.uint8)
        outs = (np.frombuffer(b"".join(r[3] for r in res), dtype=np.int8).reshape(len(res), nout)
                if res else np.zeros((0, nout), np.int8))
        return counters, history, outs

    # -- missions ------------------------------------------------------------------------
    def push_prototypes(self, rows, set_sha256, window=16):
        """Replace the device's prototype set (int8 rows [K, D], named by set_sha256): the
        PROTOTYPES frames pipelined, then INFO to confirm. -> the prototypes record of that INFO."""
        if self.info is None:
            self.hello()
        frames = P.prototype_frames(rows, set_sha256, self.info.model_sha256, self.info.max_request_body)
        res = self._run([[f] for f in frames], window, P.parse_prototypes_reply)
        if res[-1] != (len(rows), len(rows)):
            raise DeviceError(f"the device staged {res[-1][0]} and activated {res[-1][1]} of {len(rows)} prototypes; push again")
        self.missions = None          # the INFO of the barrier below is the device's new state
        info, _ = self._barrier("prototypes pushed", None)
        self.missions = info.prototypes
        if not self.missions or self.missions["sha256"] != (set_sha256 if len(rows) else "00" * 32) \
                or self.missions["count"] != len(rows):
            raise DeviceError(f"after the push the device reports {self.missions}; push again")
        return self.missions

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

    def _run(self, jobs, window, parse, progress=None, stateful=False):
        """Send every job's frames pipelined; the reply to a job's last frame is parsed into
        its result. Returns the results in job order. `stateful`: the device's answers depend on
        what it computed before (FLOWs), so a reboot mid-run cannot be recovered from."""
        b = _Batch(jobs, parse, progress)
        b.stateful = stateful
        last_progress, recoveries = time.monotonic(), 0
        last_done, done = last_progress, 0
        while b.done < len(jobs):
            batch = bytearray()
            while b.pending and len(b.outst) < window and (not stateful or b.pending[0][0] < b.oldest_open() + window):
                # stateful (FLOW): never more than `window` flows past the oldest unanswered one, so a
                # FLOW resent after a lost reply is still in the device's replay buffer
                j, k = b.pending.popleft()
                seq = self._next_seq()
                batch += P.encode_frame(jobs[j][k][0], seq, jobs[j][k][1])
                b.outst[seq] = (j, k)
                b.started.add(j)
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
                    got = self._accept(val, b)
                    if got is True or got == "ack":
                        last_progress = time.monotonic()
                    elif got:
                        trouble = trouble or got
            if b.done < len(jobs) and not trouble and b.outst and \
                    time.monotonic() - last_progress > self._round_timeout(sum(b.wire_len(*v) for v in b.outst.values())):
                self.link.timeouts += 1
                trouble = "timeout"
            if b.done != done:
                last_done, done = time.monotonic(), b.done
            elif time.monotonic() - last_done > self.give_up_s:   # answers, but none completes a request
                raise LinkLost(f"no request completed for {self.give_up_s:.0f} s ({b.done} of {len(jobs)} done; "
                               f"last trouble: {trouble or 'none'}){self._silence()}; check the firmware and the link")
            if trouble and b.done < len(jobs):
                recoveries += 1
                if self.max_recoveries is not None and recoveries > self.max_recoveries:
                    raise LinkLost(f"gave up after {recoveries - 1} recoveries (last: {trouble}); check the link")
                self._recover(trouble, b)
                last_progress = time.monotonic()
        return b.results

    def _accept(self, f, b):
        """True if `f` finishes a job, "ack" if it answers an earlier frame of one, a trouble
        string, or None (dropped)."""
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
            if f.seq in b.outst:
                j = b.outst[f.seq][0]
                if code in (P.ERR_BAD_OFFSET, P.ERR_NOT_LOADED):   # a chunk of this input was lost
                    b.failed.add(j)                               # load it again from the start
                    return f"device lost a chunk of input {j} ({name})"
                if code == P.ERR_FLOW_GAP:                        # an earlier FLOW was lost on the way
                    return f"device is waiting for a flow before flow {j} (FLOW_GAP)"
                if code == P.ERR_WRONG_MODE:
                    raise DeviceError(f"device answered ERROR WRONG_MODE to {P.TYPE_NAMES.get(req_type, req_type)}: "
                                      + ("its firmware builds windows from FLOWs (a host table); send flows, not whole inputs"
                                         if req_type != P.FLOW else "its firmware keeps no flow history; send whole inputs"))
                raise DeviceError(f"device answered ERROR {name} to request {j} "
                                  f"({P.TYPE_NAMES.get(req_type, req_type)}); "
                                  + ("the firmware's engine failed" if code == P.ERR_ENGINE else "firmware and host disagree on the protocol"))
            self.link.dropped += 1
            return None
        slot = b.outst.get(f.seq)
        if slot is None or f.type != P.REPLY_TO.get(b.jobs[slot[0]][slot[1]][0]):
            if f.seq in self._answered:
                self.link.duplicates += 1
            else:
                self.link.dropped += 1
            return None
        j, k = slot
        final = k == len(b.jobs[j]) - 1
        try:
            if final:
                value = b.parse(f.body)
            else:   # LOADED: the device must have exactly the bytes sent so far
                t, body = b.jobs[j][k]
                if P.parse_loaded(f.body) != struct.unpack_from("<I", body)[0] + len(body) - P.LOAD_HEADER:
                    raise P.FrameError("LOADED count does not match the chunk")
        except P.FrameError:
            self.link.rx_bad += 1
            return "reply of the wrong length"
        del b.outst[f.seq]
        self._rtt(f.seq)
        self._answered.append(f.seq)
        self.link.accepted += 1
        if not final:
            b.acked[j] = k
            b.retries.pop(j, None)     # progress: the count of refusals "in a row" starts again
            return "ack"
        b.acked.pop(j, None)
        b.results[j] = value
        b.done += 1
        b.started.discard(j)
        if b.progress:
            b.progress(1)
        return True

    def _barrier(self, why, b):
        """Send 0x00 + HELLO and read until an INFO answers one of this barrier's HELLOs.

        Valid replies to outstanding requests of batch `b` met on the way are accepted. A
        damaged chunk or a device error may have been our INFO or HELLO, so another HELLO goes
        out (at most once per round-trip time); silence for a round timeout does the same.
        Returns (Info, jobs finished on the way)."""
        hellos, finished = set(), 0
        give_up = time.monotonic() + self.give_up_s
        last_send = 0.0
        outst = b.outst if b is not None else {}

        def send():
            nonlocal last_send
            seq = self._next_seq()
            self._write(b"\x00" + P.encode_frame(P.HELLO, seq, P.pack_hello()))   # one write: no Nagle stall
            hellos.add(seq)
            last_send = self._sent_at[seq]

        send()
        resend = False
        while True:
            now = time.monotonic()
            if now > give_up:
                raise LinkLost(f"the device stopped answering ({why}) for {self.give_up_s:.0f} s{self._silence()}; "
                               "check the link, the baud rate and that packetclip firmware runs there")
            if now - last_send > self._round_timeout(300 * (len(outst) + 1)):
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
                    return info, finished
                if val.type == P.ERROR:
                    try:
                        code, _ = P.parse_error(val.body)
                    except P.FrameError:
                        self.link.rx_bad += 1
                        continue
                    name = P.ERROR_NAMES.get(code, str(code))
                    if code in (P.ERR_BAD_CRC, P.ERR_BAD_FRAME, P.ERR_TOO_LONG):
                        self.link.device_errors[name] = self.link.device_errors.get(name, 0) + 1
                        resend = True
                        continue
                    if code in (P.ERR_BAD_OFFSET, P.ERR_NOT_LOADED) and val.seq in outst:
                        self.link.device_errors[name] = self.link.device_errors.get(name, 0) + 1
                        b.failed.add(outst[val.seq][0])        # that input restarts from its first chunk
                        continue
                    if code == P.ERR_FLOW_GAP and val.seq in outst:   # sent again, in order, after the barrier
                        self.link.device_errors[name] = self.link.device_errors.get(name, 0) + 1
                        continue
                if b is not None and self._accept(val, b) is True:
                    finished += 1
                elif b is None:
                    self.link.dropped += 1

    def _recover(self, why, b):
        """Barrier, check the device, send every unfinished job again: from the frame after
        its last acknowledged LOAD (the device keeps a partly loaded input across a HELLO), or
        from its first frame when the device rebooted or refused a chunk or the RUN."""
        self.link.recoveries += 1
        self.log(f"recovering: {why}; {len(b.outst)} request(s) outstanding")
        reboots = self.link.reboots
        self._barrier(why, b)
        if why == "boot line" or self.link.reboots != reboots:
            if b.stateful:
                raise DeviceError("the device rebooted during the flow stream, so its host table is gone; run again")
            b.acked.clear()
        for j in sorted(b.failed):        # refused by the device: from the first chunk, a bounded number of times
            b.acked.pop(j, None)
            b.retries[j] = b.retries.get(j, 0) + 1
            if b.retries[j] > MAX_JOB_RETRIES:
                raise DeviceError(f"the device refused input {j} {b.retries[j] - 1} times in a row (BAD_OFFSET/NOT_LOADED); "
                                  "firmware and host disagree on the protocol")
        b.failed.clear()
        b.outst.clear()
        restart = sorted(b.started)
        b.started.clear()
        self.link.resent += len(restart)
        again = set(restart)
        frames = [(j, k) for j in restart for k in range(b.acked.get(j, -1) + 1, len(b.jobs[j]))]
        b.pending = deque(frames + [(j, k) for j, k in b.pending if j not in again])


class _Batch:
    """The state of one pipelined run: jobs (lists of (type, body) frames), what is pending,
    outstanding (seq -> (job, frame)), started but unfinished, and the results."""

    def __init__(self, jobs, parse, progress):
        self.jobs, self.parse, self.progress = jobs, parse, progress
        self.results = [None] * len(jobs)
        self.pending = deque((j, k) for j in range(len(jobs)) for k in range(len(jobs[j])))
        self.outst, self.started, self.retries, self.acked, self.done = {}, set(), {}, {}, 0
        self.failed = set()       # jobs the device refused (BAD_OFFSET/NOT_LOADED) since the last recovery
        self.stateful = False
        self._open = 0            # every job before this one is done
        self._wire = {}

    def oldest_open(self):
        """The first job without a result."""
        while self._open < len(self.results) and self.results[self._open] is not None:
            self._open += 1
        return self._open

    def wire_len(self, j, k):
        key = (j, k)
        if key not in self._wire:
            self._wire[key] = P.max_encoded_len(len(self.jobs[j][k][1])) + 1
        return self._wire[key]
