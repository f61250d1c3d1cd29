# The README's commands. Meson + Ninja do the building; this file only names
# the steps. Every target first runs scripts/install-deps (fast when nothing
# is missing), so a fresh Debian/Ubuntu machine needs nothing else.
BUILD ?= build
ASAN_BUILD ?= build-asan
PYTHON ?= /usr/bin/python3

.PHONY: all deps build asan test test-fast demo bench clean

all: build

deps:
	@scripts/install-deps

build: deps
	@test -f $(BUILD)/build.ninja || meson setup $(BUILD) --buildtype=debugoptimized >/dev/null
	@ninja -C $(BUILD) | grep -v -e '^ninja: no work to do' -e '^ninja: Entering' || true
	@test -x $(BUILD)/src/medperf-server

asan: deps
	@test -f $(ASAN_BUILD)/build.ninja || meson setup $(ASAN_BUILD) --buildtype=debug \
		-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
	@ninja -C $(ASAN_BUILD) | grep -v -e '^ninja: no work to do' -e '^ninja: Entering' || true
	@test -x $(ASAN_BUILD)/src/medperf-server

# unit + API tests, then the same under ASan + UBSan; ends with "N passed, N failed"
test: build asan
	@$(PYTHON) tests/run --build $(BUILD) --build $(ASAN_BUILD)

# the same without the sanitizer pass
test-fast: build
	@$(PYTHON) tests/run --build $(BUILD)

demo: build
	@$(PYTHON) scripts/demo --build $(BUILD)

bench: build
	@bench/server $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
