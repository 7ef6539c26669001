#!/usr/bin/env bash
# Fonts LibreOffice needs to print the packet's documents as Word would: Liberation Serif has the
# metrics of Times New Roman (the report's font), so lines and pages break in the PDF where they
# break in Word. Without it LibreOffice falls back to a wider serif and the report grows by pages.
# Also poppler-utils (pdftoppm), which `scripts/sample_pages.sh` uses to draw the README's pages.
# Installs only what is missing, with apt-get (Debian/Ubuntu); elsewhere it says what to install.
set -euo pipefail
if fc-list 2>/dev/null | grep -q "Liberation Serif" && command -v pdftoppm >/dev/null 2>&1; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends fonts-liberation2 fonts-liberation poppler-utils) >/tmp/pcmbn-fonts-apt.log 2>&1 \
    || echo "Could not install fonts-liberation2 (see /tmp/pcmbn-fonts-apt.log)"
  fc-cache -f >/dev/null 2>&1 || true
else
  echo "Install fonts-liberation2 (PDFs that paginate like Word) and poppler-utils (pdftoppm)."
fi
