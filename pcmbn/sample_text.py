"""Vietnamese narrative text for sample reports: results, difficulties, proposals.

Phrases are generic to the programme's workstreams so any unit kind can use them; a few are
kind-specific because leaders read these paragraphs verbatim in the conference packet.
"""

from __future__ import annotations

import random

DIFFICULTIES = [
    "Tội phạm mua bán người hoạt động ngày càng tinh vi, lợi dụng mạng xã hội để lôi kéo, "
    "dụ dỗ người dân đi làm việc ở nước ngoài.",
    "Địa bàn rộng, giao thông đi lại khó khăn, nhất là các xã vùng sâu, vùng xa, vùng đồng bào "
    "dân tộc thiểu số.",
    "Kinh phí bố trí cho công tác phòng, chống mua bán người còn hạn chế, chưa đáp ứng yêu cầu.",
    "Cán bộ làm công tác phòng, chống mua bán người chủ yếu kiêm nhiệm, thường xuyên thay đổi.",
    "Việc xác minh, xác định nạn nhân bị mua bán ra nước ngoài còn gặp nhiều khó khăn do thiếu "
    "thông tin.",
    "Một bộ phận người dân còn thiếu cảnh giác, tin vào lời hứa hẹn việc làm nhẹ, lương cao.",
    "Cơ sở vật chất phục vụ tiếp nhận, hỗ trợ ban đầu cho nạn nhân chưa bảo đảm.",
    "Chưa có hướng dẫn cụ thể về mức hỗ trợ đối với người nghi là nạn nhân.",
]

PROPOSALS = [
    "Đề nghị Ban Chỉ đạo tỉnh bố trí kinh phí riêng cho các hoạt động tuyên truyền tại cơ sở.",
    "Đề nghị tổ chức tập huấn chuyên sâu về nhận diện nạn nhân cho cán bộ cấp xã.",
    "Đề nghị tăng cường phối hợp, trao đổi thông tin giữa các lực lượng chức năng và với các "
    "địa phương giáp ranh.",
    'Đề nghị nhân rộng mô hình "Cộng đồng tự quản phòng, chống mua bán người" ra các xã trọng '
    "điểm.",
    "Đề nghị sớm ban hành hướng dẫn về trình tự hỗ trợ nạn nhân là trẻ em.",
    "Đề nghị khen thưởng kịp thời các tập thể, cá nhân có thành tích xuất sắc.",
    "Đề nghị có cơ chế chia sẻ dữ liệu về lao động đi làm việc ở nước ngoài giữa các sở, ngành.",
]

TASK_RESULTS = [
    "Đã tổ chức {n} buổi tuyên truyền với {m} lượt người tham dự.",
    "Đã xây dựng và ban hành kế hoạch triển khai tại đơn vị.",
    "Phối hợp với các lực lượng chức năng rà soát, nắm tình hình trên địa bàn.",
    "Đã đưa tin, bài trên trang thông tin điện tử và mạng xã hội của đơn vị.",
    "Tiếp tục duy trì hoạt động của các mô hình tại cơ sở.",
    "Đã cử cán bộ tham gia lớp tập huấn do tỉnh tổ chức.",
]

TASK_DIFFICULTIES = [
    "",
    "",
    "Thiếu kinh phí thực hiện.",
    "Cán bộ kiêm nhiệm, thời gian hạn chế.",
    "Chờ hướng dẫn của cơ quan cấp trên.",
]

PREPARERS = [
    "Nguyễn Thị Hương",
    "Trần Văn Nam",
    "Lê Thị Thu Hà",
    "Phạm Minh Đức",
    "Hoàng Văn Hải",
    "Võ Thị Ngọc Anh",
    "Đặng Quốc Việt",
    "Bùi Thị Lan",
    "Ngô Thanh Tùng",
    "Lý Thị Mai",
]


def pick(rng: random.Random, options: list[str], count: int) -> str:
    """`count` distinct phrases joined as one paragraph, in a stable order for a given rng."""
    return " ".join(rng.sample(options, k=min(count, len(options))))
