# glacvel developer commands. Interpreter: .venv (made from Debian's /usr/bin/python3).
PY      := .venv/bin/python
export QT_QPA_PLATFORM ?= offscreen
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup test test-unit test-qgis demo package deploy translations qm benchmark screenshots clean

setup:
	@bash scripts/setup.sh

$(PY):
	@bash scripts/setup.sh

test: $(PY) qm
	$(PY) -m pytest -q tests

test-unit: $(PY)
	$(PY) -m pytest -q tests/unit

test-qgis: $(PY) qm
	$(PY) -m pytest -q tests/qgis

demo: setup qm
	$(PY) scripts/demo.py

translations: $(PY)
	@bash scripts/translations.sh

qm:
	@bash scripts/translations.sh --compile-only

package: qm
	@bash scripts/package.sh

deploy: package
	@bash scripts/deploy.sh

benchmark: $(PY)
	@bash benchmarks/run.sh

screenshots: $(PY)
	xvfb-run -a -s "-screen 0 1600x1000x24" env QT_QPA_PLATFORM=xcb $(PY) scripts/screenshots.py

clean:
	rm -rf dist build .pytest_cache demo_output i18n/*.qm
