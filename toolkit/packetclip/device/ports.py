"""Which serial port to talk to, chosen the way esptool and Edge Impulse users expect.

1. `--port` wins: a device path (/dev/ttyACM0, COM3) or any pyserial URL
   (socket://host:port, rfc2217://host:port, loop://).
2. Otherwise the ports whose USB VID:PID is in the board file's `serial.usb` list.
3. Several candidates: list them and stop (the user picks with --port). None: say so.
Unknown ports are never opened or probed: only the OS's USB descriptors are read.
"""

from dataclasses import dataclass

from packetclip.errors import PacketclipError

@dataclass(frozen=True)
class Candidate:
    device: str
    vid: int
    pid: int
    description: str = ""
    serial_number: str = ""

    def line(self):
        sn = f" sn={self.serial_number}" if self.serial_number else ""
        return f"{self.device}  {self.vid:04x}:{self.pid:04x}  {self.description}{sn}"


def is_url(port):
    return isinstance(port, str) and "://" in port


def list_usb_ports():
    """Every serial port the OS knows with a USB VID:PID (no port is opened)."""
    from serial.tools import list_ports

    out = []
    for p in list_ports.comports():
        if p.vid is None or p.pid is None:
            continue
        out.append(Candidate(p.device, p.vid, p.pid, p.description or "", p.serial_number or ""))
    return sorted(out, key=lambda c: c.device)


def candidates(board, ports=None):
    """Ports matching the board's USB ids, in board-file order of the ids, then by device name."""
    ports = list_usb_ports() if ports is None else ports
    ids = board.usb_ids
    found = [c for c in ports if (c.vid, c.pid) in ids]
    return sorted(found, key=lambda c: (ids.index((c.vid, c.pid)), c.device))


def choose_port(board, port=None, ports=None):
    """The port (device path or URL) to open for `board`; PacketclipError when it is ambiguous."""
    if port:
        return port
    if board.emulated:
        raise PacketclipError(f"board {board.name} is emulated: start it with `packetclip flash --board {board.name}` "
                              "and pass the socket:// URL it prints as --port (conform and monitor start it themselves)")
    ids = board.usb_ids
    if not ids:
        raise PacketclipError(f"{board.path}: field 'serial.usb' is empty, so the port cannot be found; pass --port")
    found = candidates(board, ports)
    wanted = ", ".join(f"{v:04x}:{p:04x}" for v, p in ids)
    if not found:
        raise PacketclipError(f"no serial port with USB id {wanted} ({board.name}) is connected; plug the board in "
                              "or pass --port (a device path or a socket:// / rfc2217:// URL)")
    if len(found) > 1:
        listing = "; ".join(c.line() for c in found)
        raise PacketclipError(f"{len(found)} ports match {board.name} ({wanted}): {listing}; pick one with --port")
    return found[0].device
