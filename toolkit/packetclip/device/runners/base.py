"""What every runner has: a name, its capabilities, and how it puts firmware on a board."""

from packetclip.errors import PacketclipError


class Runner:
    name = ""
    emulated = False        # packetclip starts the device (QEMU, host process) and talks over a socket
    board_fields = ()       # (section, key, what to tell the user) the board file must have

    def __str__(self):
        return self.name

    def check_board(self, path, data):
        """Board-file fields this runner needs; one line naming the field when one is missing."""
        for section, key, fix in self.board_fields:
            if not data.get(section, {}).get(key):
                raise PacketclipError(f"{path}: field '{section}.{key}' is missing; {fix}")

    def start(self, board, elf):
        """Emulated runners: start `elf` and return a running device (an Emulator)."""
        raise PacketclipError(f"{board.path}: board {board.name} is not emulated (runner {self.name}); give --port")

    def flash_argv(self, board, firmware, port=None, probe=None):
        """Probe runners: (argv, description) that writes `firmware` (a build folder or .elf) to the board."""
        raise PacketclipError(f"{board.path}: runner '{self.name}' does not flash over a probe")
