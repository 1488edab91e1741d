# Two commands matter: `make run` (install, build, open the app on the demo workspace)
# and `make test` (install what tests need, run every suite). Both work on a fresh Debian 12.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
CARGO_TARGET_DIR ?= $(CURDIR)/target
export CARGO_TARGET_DIR
APP := $(CARGO_TARGET_DIR)/debug/truce-app
TRUCE := $(CARGO_TARGET_DIR)/debug/truce

.PHONY: run test setup setup-test ui build bindings test-rust test-keyring test-ui test-browser test-desktop clean

run: setup build
	$(APP) --demo

test: setup-test build
	@bash scripts/test-all.sh

setup:
	@bash scripts/setup.sh

setup-test:
	@bash scripts/setup.sh --test

ui:
	cd ui && npm run --silent build

# The shell embeds ui/dist, so the UI is built first.
build: ui
	cargo build --workspace

bindings:
	UPDATE_BINDINGS=1 cargo test -p truce-facade --lib bindings

test-rust:
	cargo test --workspace

# The OS keyring's tests need a Secret Service: gnome-keyring in a D-Bus session of their own.
test-keyring:
	bash scripts/test-keyring.sh

test-ui:
	cd ui && npm run --silent check && NO_COLOR=1 npm test --silent

# The bridge and fixture recorder exist only in a build with the test-bridge feature.
test-browser: build
	cargo build -p truce-cli --features test-bridge
	mkdir -p tests/out && $(TRUCE) ui-fixture --out tests/out/ui-fixture.json
	# Adding a source keeps its credentials in the OS keyring: a real one, of its own.
	bash scripts/with-keyring.sh node tests/browser/run.mjs

test-desktop: build
	bash scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1280x800x24" node tests/desktop/run.mjs

clean:
	rm -rf ui/dist tests/out
