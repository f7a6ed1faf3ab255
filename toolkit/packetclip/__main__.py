from packetclip.cli import run

run()
