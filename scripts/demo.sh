#!/usr/bin/env bash
# `make demo`: what exists of the standing office's month, end to end on the sample reports.
# Grows with every capability; each step prints where its results are.
set -euo pipefail
BIN=.venv/bin
HOME_DIR="${PCMBN_HOME:-data}"
export PCMBN_HOME="$HOME_DIR"
export PREFECT_LOGGING_LEVEL="${PREFECT_LOGGING_LEVEL:-WARNING}"
NA=NA-276-KH-UBND-2021

step() { printf '\n\033[1m== %s\033[0m\n' "$1"; }

step "1. Danh mục (schemas/)"
"$BIN/pcmbn" catalog

step "2. Biểu mẫu tháng 11/2021 gửi các đơn vị (kế hoạch $NA)"
"$BIN/pcmbn" template --plan "$NA" --period "Tháng 11/2021" --all-units \
  --out "$HOME_DIR/demo/bieu-mau" | tail -n 1

step "3. Luồng Prefect prepare-templates (máy chủ Prefect tạm thời, mất khoảng 30 giây)"
"$BIN/python" -m flows.prepare_templates "$NA" 2021-12

step "4. Báo cáo mẫu của các đơn vị"
count=$(find sample_reports -name 'BaoCao_*' -type f | wc -l)
echo "sample_reports/ có $count tệp báo cáo; mô tả từng tệp: sample_reports/README.md"

step "Kết quả"
echo "Biểu mẫu:        $HOME_DIR/demo/bieu-mau/"
echo "Biểu mẫu (flow): $HOME_DIR/outbox/$NA/2021-12/"
echo "Nhật ký:         $HOME_DIR/logs/pcmbn.log"
