#!/usr/bin/env bash
# `make demo`: the standing office's month, end to end on the committed sample reports.
# Grows with every capability; each step prints where its results are.
set -euo pipefail
BIN=.venv/bin
HOME_DIR="${PCMBN_HOME:-data}"
export PCMBN_HOME="$HOME_DIR"
NA=NA-276-KH-UBND-2021
NA26=NA-KH-PCMBN-2026   # Nghệ An today: 143 units after the 2025 reform, 2026–2030 programme
QG=QG-KH-PCMBN-2026     # the national plan: provinces as units (export-upward)

step() { printf '\n\033[1m== %s\033[0m\n' "$1"; }

step "1. Danh mục (schemas/)"
"$BIN/pcmbn" catalog | tail -n 1

step "2. Biểu mẫu tháng 11/2021 gửi các đơn vị (kế hoạch $NA)"
"$BIN/pcmbn" template --plan "$NA" --period "Tháng 11/2021" --all-units \
  --out "$HOME_DIR/demo/bieu-mau" | tail -n 1

step "3. Một đơn vị tự kiểm tra báo cáo trước khi gửi"
"$BIN/pcmbn" check "sample_reports/$NA/2021-08/BaoCao_UBND_H_TUONG_DUONG_2021-08.xlsx" \
  --feedback "$HOME_DIR/demo/tu-kiem-tra" || true

step "4. Tổng hợp hằng tháng 05/2021 – 11/2021 trên sample_reports/ (Prefect, máy chủ tạm thời)"
periods=()
for p in 2021-05 2021-06 2021-07 2021-08 2021-09 2021-10 2021-11; do periods+=(--period "$p"); done
"$BIN/pcmbn" run --plan "$NA" --inbox "sample_reports/$NA" "${periods[@]}"

step "5. Tình hình gửi báo cáo tháng 11/2021"
"$BIN/pcmbn" status --plan "$NA" --period 2021-11

step "6. Gói tài liệu hội nghị sơ kết (số liệu 05/2021 – 11/2021)"
"$BIN/pcmbn" packet --plan "$NA" --milestone so_ket

step "7. Nghệ An 2026 (kế hoạch $NA26, 143 đơn vị): báo cáo mẫu 01/2026 – 03/2026"
"$BIN/pcmbn" samples --plan "$NA26" --start 2026-01 --end 2026-03 --out "$HOME_DIR/demo/mau-2026" \
  | tail -n 2
periods26=()
for p in 2026-01 2026-02 2026-03; do periods26+=(--period "$p"); done
COLUMNS=200 "$BIN/pcmbn" run --plan "$NA26" --inbox "$HOME_DIR/demo/mau-2026/$NA26" \
  "${periods26[@]}" | grep "tệp được nhận" || true
echo "Chỉ tiêu phấn đấu và đối chiếu liên ngành: trang ChiTieuPhanDau, DoiChieuLienNganh của"
echo "  $HOME_DIR/outputs/$NA26/2026-03/TongHop_${NA26}_2026-03.xlsx"

step "8. Báo cáo của tỉnh gửi Ban Chỉ đạo 138/CP (tháng 3/2026, kế hoạch $QG) và tự kiểm tra"
"$BIN/pcmbn" export-upward --plan "$NA26" --period 2026-03
"$BIN/pcmbn" check "$HOME_DIR/outputs/$NA26/2026-03/len-cap-tren/BaoCao_NGHE_AN_2026-03.xlsx" \
  --no-feedback

step "Kết quả"
echo "Báo cáo tổng hợp:  $HOME_DIR/outputs/$NA/<kỳ>/TongHop_${NA}_<kỳ>.xlsx"
echo "Góp ý cho đơn vị:  $HOME_DIR/outputs/$NA/<kỳ>/feedback/"
echo "Lưu trữ bản gốc:   $HOME_DIR/archive/   Lịch sử: $HOME_DIR/history.duckdb"
echo "Biểu mẫu:          $HOME_DIR/demo/bieu-mau/"
echo "Gói hội nghị:      $HOME_DIR/outputs/$NA/packets/"
echo "Nghệ An 2026:      $HOME_DIR/outputs/$NA26/<kỳ>/ (báo cáo lên cấp trên: len-cap-tren/)"
echo "Nhật ký kỹ thuật:  $HOME_DIR/logs/pcmbn.log"

step "Chạy tiếp lệnh pcmbn"
echo "pcmbn nằm trong .venv/ của dự án (gõ ngay 'pcmbn' sẽ báo 'command not found'):"
echo "  .venv/bin/pcmbn --help                 # gõ đủ đường dẫn, hoặc"
echo "  source .venv/bin/activate && pcmbn --help   # một lần cho mỗi cửa sổ dòng lệnh"
echo "Ví dụ: .venv/bin/pcmbn status --plan $NA --period 2021-11"
