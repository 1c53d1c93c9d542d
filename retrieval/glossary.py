"""English -> Vietnamese domain terms, so English questions also meet the lexical fields.

General vocabulary of provincial digital-transformation plans (agency names, services,
indicators), not phrases of any particular question."""

from __future__ import annotations

import re

GLOSSARY: dict[str, str] = {
    "digital transformation": "chuyển đổi số", "digital government": "chính quyền số",
    "e-government": "chính quyền điện tử", "digital economy": "kinh tế số", "digital society": "xã hội số",
    "e-invoice": "hóa đơn điện tử", "e-invoices": "hóa đơn điện tử", "electronic invoice": "hóa đơn điện tử",
    "cash register": "máy tính tiền", "cash registers": "máy tính tiền",
    "cashless": "không dùng tiền mặt", "non-cash": "không dùng tiền mặt", "digital payment": "thanh toán điện tử",
    "payment": "thanh toán", "payments": "thanh toán", "bank account": "tài khoản ngân hàng",
    "smartphone": "điện thoại thông minh", "smartphones": "điện thoại thông minh",
    "fiber": "cáp quang", "fibre": "cáp quang", "broadband": "băng rộng", "internet": "Internet",
    "5g": "5G", "coverage": "phủ sóng", "households": "hộ gia đình", "household": "hộ gia đình",
    "public service": "dịch vụ công", "public services": "dịch vụ công", "online": "trực tuyến",
    "administrative procedures": "thủ tục hành chính", "administrative procedure": "thủ tục hành chính",
    "records": "hồ sơ", "dossiers": "hồ sơ", "digitisation": "số hóa", "digitization": "số hóa",
    "digitise": "số hóa", "digitize": "số hóa", "data center": "trung tâm dữ liệu", "data centre": "trung tâm dữ liệu",
    "database": "cơ sở dữ liệu", "databases": "cơ sở dữ liệu", "data": "dữ liệu", "open data": "dữ liệu mở",
    "platform": "nền tảng", "platforms": "nền tảng", "national platforms": "nền tảng quốc gia",
    "artificial intelligence": "trí tuệ nhân tạo", "ai": "trí tuệ nhân tạo", "iot": "IoT",
    "data analytics": "phân tích dữ liệu", "governance": "quản trị",
    "cybersecurity": "an toàn thông tin", "information security": "an toàn thông tin", "cyber": "an ninh mạng",
    "vulnerabilities": "lỗ hổng", "weaknesses": "điểm yếu", "scan": "rà quét",
    "digital skills": "kỹ năng số", "skills": "kỹ năng", "training": "đào tạo", "working-age": "độ tuổi lao động",
    "health records": "hồ sơ sức khỏe điện tử", "telemedicine": "khám chữa bệnh từ xa",
    "hospital": "bệnh viện", "hospitals": "bệnh viện", "health": "y tế", "education": "giáo dục",
    "school": "trường học", "students": "học sinh", "tourism": "du lịch", "smart": "thông minh",
    "transport": "giao thông vận tải", "logistics": "logistics", "agriculture": "nông nghiệp",
    "farm": "nông nghiệp", "traceability": "truy xuất nguồn gốc", "raw-material area": "vùng nguyên liệu",
    "area codes": "mã số vùng", "e-commerce": "thương mại điện tử", "commune": "xã", "communes": "xã",
    "district": "huyện", "district-level": "cấp huyện", "province": "tỉnh", "provincial": "tỉnh",
    "new rural": "nông thôn mới", "new-rural": "nông thôn mới", "rural": "nông thôn",
    "criterion": "tiêu chí", "criteria": "tiêu chí", "standard": "đạt chuẩn",
    "security": "an ninh", "public administration": "hành chính công", "order": "trật tự",
    "police": "Công an tỉnh", "tax": "Thuế", "tax department": "Cục Thuế tỉnh", "state bank": "Ngân hàng Nhà nước",
    "department of information and communications": "Sở Thông tin và Truyền thông",
    "department of science and technology": "Sở Khoa học và Công nghệ", "finance": "Sở Tài chính",
    "home affairs": "Sở Nội vụ", "planning and investment": "Sở Kế hoạch và Đầu tư",
    "digital citizen": "công dân số", "app": "ứng dụng", "application": "ứng dụng",
    "camera": "camera", "smart factory": "nhà máy thông minh", "pilot": "thí điểm", "factory": "nhà máy",
    "manufacturers": "doanh nghiệp sản xuất", "enterprises": "doanh nghiệp", "businesses": "doanh nghiệp",
    "small and medium": "nhỏ và vừa", "sme": "doanh nghiệp nhỏ và vừa", "smes": "doanh nghiệp nhỏ và vừa",
    "contract": "hợp đồng điện tử", "electronic contracts": "hợp đồng điện tử",
    "digital signature": "chữ ký số", "signature": "chữ ký số", "adult": "trưởng thành",
    "population": "dân số", "people": "người dân", "citizens": "người dân", "target": "mục tiêu chỉ tiêu",
    "funding": "kinh phí", "budget": "kinh phí", "cost": "kinh phí", "deadline": "thời hạn hoàn thành",
    "leads": "chủ trì", "lead": "chủ trì", "responsible": "chủ trì chịu trách nhiệm",
    "coordinate": "phối hợp", "coordination": "điều phối", "direction": "chỉ đạo", "works with": "phối hợp",
    "standing agency": "cơ quan thường trực", "standing body": "cơ quan thường trực",
    "standing office": "cơ quan thường trực", "coordinates with": "phối hợp", "collaborates with": "phối hợp", "steering committee": "Ban Chỉ đạo", "signed": "ký",
    "decision": "Quyết định", "implements": "thực hiện", "plan": "kế hoạch", "share": "tỷ lệ",
    "percentage": "tỷ lệ", "rate": "tỷ lệ", "gdp": "GRDP", "grdp": "GRDP", "drill": "diễn tập",
    "report": "báo cáo", "reporting": "báo cáo", "information system": "hệ thống thông tin",
    "one-stop": "một cửa", "centres": "trung tâm", "centers": "trung tâm", "shops": "cửa hàng",
    "restaurants": "ăn uống", "shopping malls": "trung tâm thương mại",
    # general words of plan tasks (actions, places, sectors, people), so an English question's
    # topic meets the Vietnamese text
    "method": "phương thức", "methods": "phương thức", "promote": "thúc đẩy", "push": "thúc đẩy",
    "boost": "thúc đẩy", "rollout": "triển khai", "roll out": "triển khai", "deploy": "triển khai",
    "deploying": "triển khai", "deployment": "triển khai", "implement": "triển khai", "build": "xây dựng",
    "building": "xây dựng", "develop": "phát triển", "developing": "phát triển", "development": "phát triển",
    "model": "mô hình", "models": "mô hình", "districts": "huyện", "village": "thôn",
    "agricultural": "nông nghiệp", "products": "sản phẩm", "product": "sản phẩm",
    "key products": "sản phẩm chủ lực", "healthcare": "y tế", "schools": "trường học", "teachers": "giáo viên",
    "companies": "doanh nghiệp", "firms": "doanh nghiệp", "civil servants": "cán bộ công chức",
    "officials": "cán bộ", "residents": "người dân", "portal": "cổng thông tin", "urban": "đô thị",
    "city": "đô thị", "land": "đất đai", "environment": "môi trường", "drills": "diễn tập",
    "reports": "báo cáo", "issue": "ban hành", "issued": "ban hành", "promulgate": "ban hành",
    "review": "rà soát", "investment": "đầu tư", "awareness": "nhận thức", "communication": "truyền thông",
    "media": "truyền thông", "telecom": "viễn thông", "telecommunications": "viễn thông",
    "digital signatures": "chữ ký số", "digital identity": "định danh điện tử", "cloud": "điện toán đám mây",
    "focus": "tập trung", "map": "bản đồ", "digital map": "bản đồ số", "invoice": "hóa đơn",
    "cameras": "camera", "apps": "ứng dụng", "digital payment methods": "phương thức thanh toán số",
}

_PATTERNS = sorted(GLOSSARY, key=len, reverse=True)
_RE = re.compile(r"\b(" + "|".join(re.escape(p) for p in _PATTERNS) + r")\b", re.I)


def expand_english(question: str) -> str:
    """The Vietnamese terms behind the English ones in a question, space-joined."""
    return " ".join(dict.fromkeys(GLOSSARY[m.group(1).lower()] for m in _RE.finditer(question)))


# Abbreviations of Vietnamese provincial administration, as officials type them.
ABBREVIATIONS: dict[str, str] = {
    "KH&CN": "Khoa học và Công nghệ", "KHCN": "Khoa học và Công nghệ",
    "KH&ĐT": "Kế hoạch và Đầu tư", "KHĐT": "Kế hoạch và Đầu tư", "KH&DT": "Kế hoạch và Đầu tư",
    "TT&TT": "Thông tin và Truyền thông", "TTTT": "Thông tin và Truyền thông",
    "NN&PTNT": "Nông nghiệp và Phát triển nông thôn", "NNPTNT": "Nông nghiệp và Phát triển nông thôn",
    "GD&ĐT": "Giáo dục và Đào tạo", "GDĐT": "Giáo dục và Đào tạo", "GD&DT": "Giáo dục và Đào tạo",
    "LĐTB&XH": "Lao động, Thương binh và Xã hội", "LĐ-TB&XH": "Lao động, Thương binh và Xã hội",
    "VHTTDL": "Văn hóa, Thể thao và Du lịch", "VH-TT&DL": "Văn hóa, Thể thao và Du lịch",
    "TN&MT": "Tài nguyên và Môi trường", "TNMT": "Tài nguyên và Môi trường",
    "GTVT": "Giao thông vận tải", "NHNN": "Ngân hàng Nhà nước", "CĐS": "chuyển đổi số",
    "TTHC": "thủ tục hành chính", "CSDL": "cơ sở dữ liệu", "CNTT": "công nghệ thông tin",
    "DVCTT": "dịch vụ công trực tuyến", "TMĐT": "thương mại điện tử", "HTX": "hợp tác xã",
}
_ABBR = re.compile(r"(?<![\w&])(" + "|".join(re.escape(a) for a in sorted(ABBREVIATIONS, key=len, reverse=True))
                   + r")(?![\w&])", re.I)


_ABBR_LOWER = {k.lower(): v for k, v in ABBREVIATIONS.items()}


def expand_abbreviations(text: str) -> str:
    """ "Sở KH&CN" -> "Sở Khoa học và Công nghệ", so the name meets the plans' spelling."""
    return _ABBR.sub(lambda m: _ABBR_LOWER[m.group(1).lower()], text)
