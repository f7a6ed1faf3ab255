# The README's commands. Each one installs what it needs first, idempotently.
#   make demo   the whole flow on the default emulated board (mps2-an386)
#   make test   the lint check, then the test suite
#   make lint   ruff over the Python sources
#   make bench  benchmarks, results as JSON under build/bench/

VENV      ?= .venv
PY        := $(VENV)/bin/python
STAMP     := $(VENV)/.installed
EXTRAS    ?= train,device,dev
DEB_PKGS  := gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib qemu-system-arm \
             gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-misc \
             cmake ninja-build clang libclang-rt-14-dev
# the lab's tools and servers (packetclip lab): the list lives in packetclip/lab/tools.py
DEB_PKGS  += $(shell python3 toolkit/packetclip/lab/tools.py)

.PHONY: setup debs venv demo test lint bench clean

setup: debs venv

debs:
	@sh scripts/ensure-debs.sh $(DEB_PKGS)

venv: $(STAMP)

# Re-installs only when the pins or the package metadata change.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[$(EXTRAS)]"
	@touch $@

demo: setup
	$(VENV)/bin/packetclip demo

test: setup lint
	$(PY) -m pytest -q

lint: venv
	$(VENV)/bin/ruff check toolkit tests

bench: setup
	$(PY) -m packetclip.bench --out build/bench

clean:
	rm -rf build runs
