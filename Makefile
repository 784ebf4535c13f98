# Two commands for a fresh Debian 12 (QGIS 3.22) or Debian 13 (QGIS 3.40) machine, as root:
#   make demo   – install everything, run the main job on the built-in demo region
#   make test   – install everything, run the whole test suite (unit + real-QGIS)
SHELL := /bin/bash
.DEFAULT_GOAL := help

PLUGIN      := soil_conservation_plugin
PY_SYSTEM   := /usr/bin/python3
VENV        := .venv
PY          := $(VENV)/bin/python
BUILD       := build
DEMO_DIR    ?= $(BUILD)/demo
PACKAGE_DIR ?= $(BUILD)/package
QGIS_PROFILE_DIR ?= $(HOME)/.local/share/QGIS/QGIS3/profiles/default

# proj-bin: pyproj inside a venv finds PROJ data through the `proj` executable (Debian 13);
# python3-rtree: spatial indexes of geopandas < 0.14 (Debian 12), only recommended there
APT_PACKAGES := qgis python3-qgis qgis-providers python3-gdal gdal-bin python3-rasterio \
	python3-geopandas python3-shapely python3-scipy python3-numba python3-affine python3-pyproj \
	python3-numpy python3-pandas python3-yaml python3-openpyxl python3-jsonschema python3-pytest \
	python3-venv python3-pip qttools5-dev-tools pyqt5-dev-tools xvfb xauth grass-core zip unzip \
	fonts-wqy-microhei poppler-utils proj-bin python3-rtree \
	python3-dask python3-distributed
# Pure-Python packages Debian lacks, pinned. pyflwdir goes in with --no-deps on Debian's numba.
PIP_PACKAGES        := pytest-qgis==5.0.2
PYFLWDIR            := pyflwdir==0.5.12
PIP_NODEPS_PACKAGES := $(PYFLWDIR)
# Lint and type checks (make lint), pinned so that every machine reports the same
LINT_PACKAGES       := ruff==0.17.6 mypy==2.4.1
# The zip carries pyflwdir in ext_libs/ (pure Python; its compiled dependencies come from QGIS's Python).
# sha256 of the wheel on PyPI: a download that differs is refused.
PYFLWDIR_WHEEL  := $(subst ==,-,$(PYFLWDIR))-py3-none-any.whl
PYFLWDIR_SHA256 := 0e1b292fb6671b32d502f0c1425b5205b4bce73aee9c0f49c8b664accd615438
WHEELS          := $(BUILD)/wheels

export QT_QPA_PLATFORM ?= offscreen
export XDG_RUNTIME_DIR ?= /tmp/runtime-$(shell id -u)
export GDAL_PAM_ENABLED := NO
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help deps apt venv lint test test-unit test-qgis test-sid test-trixie demo package deploy translations ts bench screenshots clean

help:
	@echo "make demo   – set up, then run the whole chain on the built-in demo region"
	@echo "make test   – set up, then run the whole test suite"
	@echo "make lint   – ruff (format and rules) and mypy on core/, as CI runs them before the tests"
	@echo "make test-sid / test-trixie – the suite in a Debian sid / 13 chroot (as root, tools/chroot-test.sh)"
	@echo "make package / deploy / translations / bench / screenshots / clean"

# --- set-up (idempotent: skips what is already there) ---------------------
apt:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "apt: installing $$missing"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y --no-install-recommends $$missing; \
	else echo "apt: all packages present"; fi

$(VENV)/.stamp: Makefile
	@[ -x $(PY) ] || $(PY_SYSTEM) -m venv --system-site-packages $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q $(PIP_PACKAGES)
	$(PY) -m pip install --disable-pip-version-check -q --no-deps $(PIP_NODEPS_PACKAGES)
	$(PY) -c "import qgis.core, rasterio, geopandas, numba, pyflwdir, pytest_qgis; print('venv ready')"
	@touch $@

venv: apt $(VENV)/.stamp

deps: venv translations

# --- translations ---------------------------------------------------------
i18n/%.qm: i18n/%.ts
	lrelease -silent $< -qm $@

translations: $(patsubst %.ts,%.qm,$(wildcard i18n/*.ts))

ts: ## refresh the .ts from the sources (then translate, commit the .ts)
	pylupdate5 -noobsolete $$(find $(PLUGIN) -name '*.py' -o -name '*.ui' | sort) -ts i18n/soil_conservation_zh_Hans.ts

# --- lint -----------------------------------------------------------------
$(VENV)/.lint-stamp: Makefile $(VENV)/.stamp
	$(PY) -m pip install --disable-pip-version-check -q $(LINT_PACKAGES)
	@touch $@

lint: venv $(VENV)/.lint-stamp  ## settings in pyproject.toml
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# --- the two commands -----------------------------------------------------
test: deps test-unit test-qgis

test-unit:
	$(PY) -m pytest -p no:qgis -p no:cacheprovider tests/unit

test-qgis:
	$(PY) -m pytest -p no:cacheprovider --qgis_disable_gui tests/qgis

demo: deps
	$(PY) -m $(PLUGIN).headless demo $(DEMO_DIR)

# --- other Debian releases, in a chroot (as root; not part of CI) -------------
# Builds /srv/chroot/DIST with debootstrap if missing, clones this repo's HEAD into it, runs `make test` there.
test-sid:     ## Debian sid: QGIS 3.44 LTR
	tools/chroot-test.sh sid -k test
test-trixie:  ## Debian 13: QGIS 3.40
	tools/chroot-test.sh trixie -k test

# --- install into QGIS ----------------------------------------------------
$(WHEELS)/$(PYFLWDIR_WHEEL):
	rm -rf $(WHEELS)/.download && mkdir -p $(WHEELS)/.download
	$(PY_SYSTEM) -m pip download --disable-pip-version-check -q --no-deps --only-binary=:all: $(PYFLWDIR) -d $(WHEELS)/.download
	echo "$(PYFLWDIR_SHA256)  $(WHEELS)/.download/$(PYFLWDIR_WHEEL)" | sha256sum --check --strict --quiet \
		|| { echo "package: $(PYFLWDIR_WHEEL) does not match the sha256 pinned in the Makefile" >&2; exit 1; }
	mv $(WHEELS)/.download/$(PYFLWDIR_WHEEL) $@ && rm -rf $(WHEELS)/.download

package: translations $(WHEELS)/$(PYFLWDIR_WHEEL)
	echo "$(PYFLWDIR_SHA256)  $(WHEELS)/$(PYFLWDIR_WHEEL)" | sha256sum --check --strict --quiet
	rm -rf $(PACKAGE_DIR)/$(PLUGIN) && mkdir -p $(PACKAGE_DIR)
	cp -r $(PLUGIN) $(PACKAGE_DIR)/$(PLUGIN)
	cp -r metadata.txt LICENSE resources $(PACKAGE_DIR)/$(PLUGIN)/
	find $(PACKAGE_DIR)/$(PLUGIN) -name '__pycache__' -prune -exec rm -rf {} +
	mkdir -p $(PACKAGE_DIR)/$(PLUGIN)/i18n && cp i18n/*.ts i18n/*.qm $(PACKAGE_DIR)/$(PLUGIN)/i18n/
	rm -rf $(PACKAGE_DIR)/$(PLUGIN)/ext_libs  # only ever the pinned wheel, with its licence in the .dist-info
	$(PY_SYSTEM) -m zipfile -e $(WHEELS)/$(PYFLWDIR_WHEEL) $(PACKAGE_DIR)/$(PLUGIN)/ext_libs
	cd $(PACKAGE_DIR) && rm -f $(PLUGIN).zip && zip -q -r $(PLUGIN).zip $(PLUGIN)
	@echo "package: $(abspath $(PACKAGE_DIR))/$(PLUGIN).zip"

deploy: package
	mkdir -p $(QGIS_PROFILE_DIR)/python/plugins
	rm -rf $(QGIS_PROFILE_DIR)/python/plugins/$(PLUGIN)
	cp -r $(PACKAGE_DIR)/$(PLUGIN) $(QGIS_PROFILE_DIR)/python/plugins/
	@echo "deployed to $(QGIS_PROFILE_DIR)/python/plugins/$(PLUGIN); enable it in Plugins ▸ Manage and Install Plugins"

# exactextract's wheel bundles its own GDAL: it lives in a venv of its own, used by bench/indicators.py only.
EE_VENV := $(BUILD)/ee_venv
$(EE_VENV)/.stamp:
	$(PY_SYSTEM) -m venv $(EE_VENV)
	$(EE_VENV)/bin/pip install --disable-pip-version-check -q exactextract==0.3.0 numpy
	@touch $@

bench: deps $(EE_VENV)/.stamp  ## large runs: BENCH_ARGS=--big for steep_slope.py / watersheds.py
	$(PY) bench/steep_slope.py $(BENCH_ARGS)
	$(PY) bench/watersheds.py $(BENCH_ARGS)
	$(PY) bench/indicators.py --ee-python $(EE_VENV)/bin/python

screenshots: deps  ## every dock page, in English and Chinese, on the demo region (PNG, under Xvfb)
	QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1600x1200x24" $(PY) tools/screenshots.py $(BUILD)/screenshots
	@echo "screenshots: $(abspath $(BUILD))/screenshots"

clean:
	rm -rf $(BUILD) i18n/*.qm
