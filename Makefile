# amdrn: `make demo` and `make test` each install, build and run (Debian 12, as root).
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps build test demo bench clean

all: build

deps:
	bash scripts/install-deps.sh

$(BUILD)/build.ninja: CMakeLists.txt
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

test: build
	bash scripts/fetch-test-data.sh $(BUILD)/realdata
	cd $(BUILD) && AMDRN_REALDATA=$(CURDIR)/$(BUILD)/realdata/files ctest --output-on-failure -j 2

demo: build
	$(BUILD)/amdrn demo

bench: build
	@echo "benchmarks built in $(BUILD)/bench/; run each from the repository root (see its --help and docs/)"
	@ls $(BUILD)/bench/ | grep -v -E '\.cmake|CMakeFiles|Makefile' || true

clean:
	rm -rf $(BUILD)
