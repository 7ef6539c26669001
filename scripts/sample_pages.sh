#!/usr/bin/env bash
# Draws the README's sample pages (docs/img/) from a built packet: the report's first page, its
# signature page and an appendix page, and the appendix workbook's first page, as LibreOffice
# prints them. Needs LibreOffice and pdftoppm (`bash scripts/pdf_fonts.sh` installs the fonts
# and poppler-utils). Usage: scripts/sample_pages.sh <packet folder> [output folder]
set -euo pipefail
packet="$1"
out="${2:-docs/img}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
for name in BaoCao_so_ket.docx PhuLucSoLieu.xlsx; do
  timeout 300 soffice --headless --norestore "-env:UserInstallation=file://$work/profile" \
    --convert-to pdf --outdir "$work" "$packet/$name" >/dev/null
done
report="$work/BaoCao_so_ket.pdf"
signature=$(.venv/bin/python - "$report" <<'PY'
import sys
from pypdf import PdfReader
pages = [p.extract_text() or "" for p in PdfReader(sys.argv[1]).pages]
sign = next(i for i, t in enumerate(pages) if "Nơi nhận:" in t) + 1
appendix = next(i for i, t in enumerate(pages) if "\nPHỤ LỤC\n(Kèm theo" in t) + 1
print(sign, appendix)
PY
)
read -r sign appendix <<<"$signature"
pdftoppm -r 70 -png -f 1 -l 1 -singlefile "$report" "$out/baocao-trang-1"
pdftoppm -r 70 -png -f "$sign" -l "$sign" -singlefile "$report" "$out/baocao-trang-ky"
pdftoppm -r 70 -png -f "$appendix" -l "$appendix" -singlefile "$report" "$out/baocao-phu-luc"
pdftoppm -r 70 -png -f 1 -l 1 -singlefile "$work/PhuLucSoLieu.pdf" "$out/phuluc-xlsx-trang-1"
echo "$out: report pages 1, $sign (signature), $appendix (appendix); workbook page 1"
