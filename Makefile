# Medihaven — two commands for a fresh Debian 12 machine:
#   make run    install what is missing, start local Kubo and Prosody, open the app
#   make test   install what is missing, check formatting and vet, run every test
#
# Every install step lives here, so a clean clone on a fresh machine needs
# only Go, make and git. Each step is idempotent and does only what is missing.

SHELL        := /bin/bash
.SHELLFLAGS  := -eu -o pipefail -c
.DEFAULT_GOAL := help

KUBO_VERSION := v0.43.0
TOOLS        := $(CURDIR)/.tools
RUNDIR       := $(CURDIR)/.run
KUBO_CACHE   := $(HOME)/.cache/medihaven/kubo-$(KUBO_VERSION)
IPFS         := $(TOOLS)/ipfs
BIN          := $(CURDIR)/bin/medihaven
export GOFLAGS := -buildvcs=false
export LANG    ?= en_US.UTF-8
export MEDIHAVEN_IPFS_BIN := $(IPFS)
# CGO is required by go-sqlite3 and Fyne's GL driver.
export CGO_ENABLED := 1

# Debian packages: C toolchain and headers for Fyne (GL, X11, Wayland),
# Prosody, the Secret Service, Xvfb and what screenshots need.
APT_PACKAGES := gcc libc6-dev pkg-config libgl-dev libx11-dev libxcursor-dev \
	libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev libwayland-dev \
	libxkbcommon-dev prosody openssl gnome-keyring dbus dbus-user-session \
	xvfb x11-utils xdotool imagemagick poppler-utils locales ca-certificates

.PHONY: help deps apt kubo build run test test-go bench fmt-check vet clean

help:
	@echo "make run    install what is missing, start local Kubo + Prosody, open the app on a demo clinic"
	@echo "make test   install what is missing, gofmt check, go vet, every test with real services"
	@echo "make bench  run the benchmarks"
	@echo "make deps   only install what is missing"

deps: apt kubo

apt:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi; \
	if ! locale -a 2>/dev/null | grep -qi '^en_US.utf8$$'; then \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO sed -i 's/^# *en_US.UTF-8 UTF-8/en_US.UTF-8 UTF-8/' /etc/locale.gen; \
	  $$SUDO locale-gen >/dev/null; \
	fi

# Kubo is not in Debian and `go install` is refused by the proxy, so build it
# from its module source (own go.mod) into a per-user cache keyed by version,
# and link it into the git-ignored tool folder. Rebuilt only when
# KUBO_VERSION changes.
kubo: $(IPFS)

$(IPFS): Makefile
	@mkdir -p $(TOOLS)
	@if [ ! -x $(KUBO_CACHE)/ipfs ]; then \
	  echo "deps: building Kubo $(KUBO_VERSION) from module source (a few minutes, once)"; \
	  dir=$$(GOFLAGS= go mod download -json github.com/ipfs/kubo@$(KUBO_VERSION) | sed -n 's/^\t"Dir": "\(.*\)",$$/\1/p'); \
	  test -n "$$dir"; \
	  src=$$(mktemp -d); cp -r "$$dir"/. "$$src"; chmod -R u+w "$$src"; \
	  mkdir -p $(KUBO_CACHE); \
	  (cd "$$src" && GOFLAGS= go build -trimpath -o $(KUBO_CACHE)/ipfs.tmp ./cmd/ipfs); \
	  mv $(KUBO_CACHE)/ipfs.tmp $(KUBO_CACHE)/ipfs; rm -rf "$$src"; \
	fi
	@ln -sf $(KUBO_CACHE)/ipfs $(IPFS)
	@touch -h $(IPFS)

# Each test run gets its own HOME and XDG folders (a running Fyne app and
# godbus write there) and its own session bus, so nothing leaks between runs
# and no stray dbus-daemon outlives them.
TESTHOME := $(RUNDIR)/testhome
GO_TEST_FLAGS ?= -count=1 -timeout 15m

build: $(BIN)

$(BIN): FORCE
	@mkdir -p $(dir $(BIN))
	go build -o $(BIN) .

FORCE:

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.tools/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	go vet ./...

test: deps fmt-check vet
	@rm -rf $(TESTHOME); mkdir -p $(TESTHOME)/{config,data,cache,runtime}; chmod 700 $(TESTHOME)/runtime
	HOME=$(TESTHOME) XDG_CONFIG_HOME=$(TESTHOME)/config XDG_DATA_HOME=$(TESTHOME)/data \
	XDG_CACHE_HOME=$(TESTHOME)/cache XDG_RUNTIME_DIR=$(TESTHOME)/runtime \
	GOCACHE=$$(go env GOCACHE) GOMODCACHE=$$(go env GOMODCACHE) \
	dbus-run-session -- go test $(GO_TEST_FLAGS) ./...

bench: deps
	@rm -rf $(TESTHOME); mkdir -p $(TESTHOME)/{config,data,cache,runtime}; chmod 700 $(TESTHOME)/runtime
	HOME=$(TESTHOME) XDG_CONFIG_HOME=$(TESTHOME)/config XDG_DATA_HOME=$(TESTHOME)/data \
	XDG_CACHE_HOME=$(TESTHOME)/cache XDG_RUNTIME_DIR=$(TESTHOME)/runtime \
	GOCACHE=$$(go env GOCACHE) GOMODCACHE=$$(go env GOMODCACHE) \
	dbus-run-session -- go test -run='^$$' -bench=. -benchmem -count=1 ./...

clean:
	rm -rf bin .run
