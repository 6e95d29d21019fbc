"""The wording of the tasks pages, Vietnamese first, English second.

The package carries its own wording, as the other domain packages do, so its pages need
no entries in the shared translation catalogue.
"""

from __future__ import annotations

from datetime import date

from govops.tasks.deadlines import DeadlineKind
from govops.tasks.status import TaskStatus
from govops.web import i18n

TEXTS = {
    "tasks": ("Nhiệm vụ được giao", "Assigned tasks"),
    "tasks_intro": (
        "Tình trạng tính từ thời hạn, ngày hoàn thành và ngày hôm nay; sắp theo thời hạn.",
        "Status follows from the deadline, the completion date and today; soonest first.",
    ),
    "mine": ("Nhiệm vụ của cơ quan tôi", "My agency's tasks"),
    "mine_intro": (
        "Nhiệm vụ cơ quan chủ trì hoặc phối hợp, sắp theo thời hạn.",
        "Tasks your agency leads or co-ordinates, soonest deadline first.",
    ),
    "no_agency": (
        "Tài khoản của bạn không thuộc cơ quan nào; xem tất cả nhiệm vụ tại danh sách chung.",
        "Your account belongs to no agency; see every task in the main list.",
    ),
    "scorecard": ("Bảng xếp hạng thực hiện nhiệm vụ", "Task scorecard"),
    "scorecard_intro": (
        "Nhiệm vụ có thời hạn trong khoảng đã chọn, tình trạng tính đến hôm nay. Tỷ lệ đúng hạn "
        "= hoàn thành đúng hạn / (hoàn thành + quá hạn); nhiệm vụ còn trong hạn không bị trừ.",
        "Deliverables due in the chosen range, status as of today. On-time rate = completed "
        "on time / (completed + overdue); work still within its deadline does not count against.",
    ),
    "directives": ("Văn bản chỉ đạo", "Directives"),
    "directive": ("Văn bản", "Directive"),
    "new_directive": ("Đăng ký văn bản và nhiệm vụ", "Register a directive and its tasks"),
    "new_intro": (
        "Nhập thông tin văn bản. Dán nội dung văn bản để hệ thống đề xuất nhiệm vụ, cơ quan và "
        "thời hạn; bạn xem lại và xác nhận ở bước sau.",
        "Enter the directive. Paste its text and govops proposes the tasks, agencies and "
        "deadlines it finds; you review and confirm them in the next step.",
    ),
    "confirm_intro": (
        "Mỗi đề xuất ghi rõ những chữ trong văn bản mà nó dựa vào. Sửa nếu cần, bỏ chọn những "
        "dòng không giữ, rồi đăng ký.",
        "Each proposal shows the words of the text it came from. Correct what is needed, untick "
        "the rows not to keep, then register.",
    ),
    "text": ("Nội dung văn bản", "Text of the directive"),
    "propose": ("Đề xuất nhiệm vụ", "Propose tasks"),
    "register": ("Đăng ký", "Register"),
    "number": ("Số, ký hiệu", "Number"),
    "kind": ("Loại văn bản", "Kind"),
    "issued_on": ("Ngày ban hành", "Issued on"),
    "signer": ("Người ký", "Signed by"),
    "title": ("Trích yếu", "Title"),
    "summary": ("Tóm tắt", "Summary"),
    "document": ("Tệp văn bản", "Document file"),
    "download_document": ("Tải văn bản", "Download the document"),
    "keep": ("Giữ", "Keep"),
    "from_words": ("Căn cứ trong văn bản", "From the words"),
    "no_proposals": (
        "Không tìm thấy nhiệm vụ nào trong nội dung; nhập nhiệm vụ ở các dòng trống.",
        "No task was found in the text; enter the tasks in the empty rows.",
    ),
    "task_row": ("Nhiệm vụ", "Task"),
    "task": ("Nhiệm vụ", "Task"),
    "position": ("Mục", "Item"),
    "task_title": ("Nội dung nhiệm vụ", "Task"),
    "description": ("Mô tả", "Description"),
    "lead": ("Cơ quan chủ trì", "Lead agency"),
    "coordinators": (
        "Cơ quan phối hợp (mã, cách nhau bởi dấu phẩy)",
        "Co-ordinating agencies (codes, comma-separated)",
    ),
    "coordinating": ("Cơ quan phối hợp", "Co-ordinating agencies"),
    "assigned_on": ("Ngày giao", "Assigned on"),
    "deadline": ("Thời hạn", "Deadline"),
    "deadline_kind": ("Loại thời hạn", "Kind of deadline"),
    "due_on": ("Hạn (ngày)", "Due on"),
    "due_day": ("Ngày trong tháng", "Day of the month"),
    "until": ("Đến ngày", "Until"),
    "priority": ("Mức ưu tiên", "Priority"),
    "status": ("Tình trạng", "Status"),
    "percent": ("Tiến độ, %", "Progress, %"),
    "agency": ("Cơ quan", "Agency"),
    "all": ("Tất cả", "All"),
    "involving": ("Gồm cả nhiệm vụ phối hợp", "Also tasks it co-ordinates"),
    "due_from": ("Hạn từ ngày", "Due from"),
    "due_to": ("đến ngày", "Due to"),
    "words": ("Từ khóa", "Words"),
    "show": ("Xem", "Show"),
    "download": ("Tải xuống", "Download"),
    "count_of": ("{shown} trong {total} nhiệm vụ", "{shown} of {total} tasks"),
    "none": ("Không có nhiệm vụ nào khớp.", "No task matches."),
    "previous": ("Trang trước", "Previous page"),
    "next": ("Trang sau", "Next page"),
    "start": ("Hạn từ ngày", "Due from"),
    "end": ("đến ngày", "to"),
    "group_by": ("Theo", "By"),
    "by_agency": ("Cơ quan", "Agency"),
    "by_directive": ("Văn bản", "Directive"),
    "agency_kind": ("Loại cơ quan", "Kind of agency"),
    "ministries": ("Bộ, ngành", "Ministries and agencies"),
    "provinces": ("Tỉnh, thành phố", "Provinces"),
    "rank": ("Hạng", "Rank"),
    "total": ("Tổng số", "Total"),
    "on_time_rate": ("Tỷ lệ đúng hạn", "On-time rate"),
    "completion_rate": ("Tỷ lệ hoàn thành", "Completion rate"),
    "trend": ("Diễn biến theo tháng", "Trend by month"),
    "month": ("Tháng", "Month"),
    "overall": ("Tổng cộng", "Overall"),
    "view_overdue": ("Xem nhiệm vụ quá hạn", "See the overdue tasks"),
    "facts": ("Thông tin", "Facts"),
    "deliverables": ("Các kỳ phải thực hiện", "Deliverables"),
    "period": ("Kỳ", "Period"),
    "original_due_on": ("Hạn ban đầu", "First deadline"),
    "completed_on": ("Ngày hoàn thành", "Completed on"),
    "reports": ("Báo cáo tiến độ", "Progress reports"),
    "comments": ("Ý kiến", "Comments"),
    "extensions": ("Đề nghị gia hạn", "Extension requests"),
    "completions": ("Báo cáo hoàn thành", "Completions"),
    "history": ("Lịch sử thay đổi", "History"),
    "by": ("Người thực hiện", "By"),
    "at": ("Thời điểm", "When"),
    "what": ("Nội dung", "What"),
    "files": ("Tệp đính kèm", "Files"),
    "report_progress": ("Báo cáo tiến độ", "Report progress"),
    "note": ("Nội dung báo cáo", "Note"),
    "send": ("Gửi", "Send"),
    "deliverable": ("Kỳ", "Deliverable"),
    "ask_extension": ("Đề nghị gia hạn", "Ask for an extension"),
    "new_due_on": ("Thời hạn đề nghị", "New deadline"),
    "reason": ("Lý do", "Reason"),
    "mark_done": ("Báo cáo hoàn thành", "Mark as done"),
    "evidence": ("Kết quả, minh chứng", "Evidence"),
    "comment": ("Góp ý", "Comment"),
    "approve": ("Đồng ý gia hạn", "Approve"),
    "refuse": ("Không đồng ý", "Refuse"),
    "accept": ("Công nhận hoàn thành", "Accept"),
    "send_back": ("Trả lại", "Send back"),
    "decision_note": ("Ghi chú quyết định", "Decision note"),
    "requested": ("Đề nghị", "Requested"),
    "current": ("Hạn hiện tại", "Current deadline"),
    "state": ("Trạng thái", "State"),
    "pending": ("Chờ quyết định", "Waiting for a decision"),
    "approved": ("Đã đồng ý", "Approved"),
    "refused": ("Không đồng ý", "Refused"),
    "submitted": ("Chờ công nhận", "Waiting to be accepted"),
    "accepted": ("Đã công nhận", "Accepted"),
    "returned": ("Đã trả lại", "Sent back"),
    "indicators": ("Chỉ tiêu liên quan", "Indicators concerned"),
    "calendar": ("Lịch thời hạn", "Deadline calendar"),
    "calendar_intro": (
        "Đăng ký lịch (iCalendar) trong ứng dụng lịch của bạn bằng địa chỉ bí mật. Địa chỉ chỉ "
        "hiện một lần; thu hồi khi không dùng nữa.",
        "Subscribe your calendar program to a secret address (iCalendar). The address is shown "
        "once; revoke it when no longer needed.",
    ),
    "agency_feed": ("Tạo địa chỉ lịch của cơ quan", "New address for the agency's calendar"),
    "personal_feed": ("Tạo địa chỉ lịch của tôi", "New address for my calendar"),
    "new_address": ("Địa chỉ lịch mới (chỉ hiện một lần)", "New calendar address (shown once)"),
    "revoke": ("Thu hồi", "Revoke"),
    "revoked_on": ("Đã thu hồi", "Revoked"),
    "created": ("Tạo lúc", "Created"),
    "personal": ("Cá nhân", "Personal"),
    "back_to_list": ("Danh sách nhiệm vụ", "Task list"),
    "problem": ("Chưa lưu được", "Not saved"),
    "standing": ("Thường xuyên", "Standing duty"),
    "high": ("Cao", "High"),
    "normal": ("Bình thường", "Normal"),
    "low": ("Thấp", "Low"),
    "date": ("Một thời hạn", "A date"),
    "monthly": ("Hằng tháng", "Monthly"),
    "quarterly": ("Hằng quý", "Quarterly"),
    "all_provinces": (
        "UBND các tỉnh, thành phố (mỗi tỉnh một nhiệm vụ)",
        "Every province (one task each)",
    ),
    "all_ministries": (
        "Các bộ, cơ quan ngang bộ (mỗi bộ một nhiệm vụ)",
        "Every ministry (one task each)",
    ),
    "import": ("Nhập nhiệm vụ từ Excel", "Import tasks from Excel"),
    "import_intro": (
        "Tải mẫu, điền mỗi nhiệm vụ một dòng rồi tải lên. Tệp được kiểm tra toàn bộ trước khi "
        "lưu: nếu có dòng sai, không dòng nào được lưu và từng lỗi được liệt kê theo dòng.",
        "Download the template, one task per row, then upload it. The whole file is checked "
        "before anything is stored: if a row is wrong nothing is stored and every problem is "
        "listed by row.",
    ),
    "template": ("Tải mẫu nhập liệu (XLSX)", "Download the template (XLSX)"),
    "workbook": ("Tệp Excel (.xlsx)", "Workbook (.xlsx)"),
    "imported": (
        "Đã nhập {created} nhiệm vụ từ {rows} dòng.",
        "Imported {created} tasks from {rows} rows.",
    ),
    "rejected": (
        "{count} lỗi; chưa lưu dòng nào. Sửa các dòng dưới đây rồi tải lên lại.",
        "{count} problem(s); nothing was stored. Correct the rows below and upload again.",
    ),
    "row_problems": ("Lỗi theo dòng", "Problems by row"),
    "row": ("Dòng", "Row"),
    "column": ("Cột", "Column"),
    "problem_is": ("Lỗi", "Problem"),
    "value": ("Giá trị", "Value"),
    "short_completed_on_time": ("Xong đúng hạn", "Done on time"),
    "short_completed_late": ("Xong quá hạn", "Done late"),
    "short_in_progress": ("Trong hạn", "In time"),
    "short_overdue": ("Quá hạn", "Overdue"),
    "short_not_started": ("Chưa triển khai", "Not started"),
    "indicator_codes": ("Chỉ tiêu liên quan (mã)", "Indicators concerned (codes)"),
    "choose": ("— chọn —", "— choose —"),
}

EVENTS = {
    "assigned": ("Giao nhiệm vụ", "Assigned"),
    "changed": ("Sửa nhiệm vụ", "Changed"),
    "progress_reported": ("Báo cáo tiến độ", "Progress reported"),
    "commented": ("Góp ý", "Commented"),
    "extension_requested": ("Đề nghị gia hạn", "Extension asked"),
    "extension_approved": ("Đồng ý gia hạn", "Extension approved"),
    "extension_refused": ("Không đồng ý gia hạn", "Extension refused"),
    "completion_submitted": ("Báo cáo hoàn thành", "Completion submitted"),
    "completion_accepted": ("Công nhận hoàn thành", "Completion accepted"),
    "completion_returned": ("Trả lại báo cáo hoàn thành", "Completion sent back"),
}


def texts(language: str) -> dict[str, str]:
    index = 0 if language == "vi" else 1
    words = {key: pair[index] for key, pair in TEXTS.items()}
    words |= {f"event_{key}": pair[index] for key, pair in EVENTS.items()}
    for status in TaskStatus:
        words[f"status_{status.value}"] = status.label_vi if index == 0 else status.label_en
    return words


def describe_deadline(
    *,
    kind: str,
    due_on: date | None,
    due_day: int | None,
    until: date | None,
    language: str,
) -> str:
    """A task's deadline in the reader's words: "30/06/2025", "ngày 20 hằng tháng …"."""
    vi = language == "vi"
    if kind == DeadlineKind.DATE.value:
        return i18n.day(due_on, language)
    if kind == DeadlineKind.STANDING.value:
        return TEXTS["standing"][0 if vi else 1]
    last = i18n.day(until, language)
    if kind == DeadlineKind.MONTHLY.value:
        return (
            f"ngày {due_day} hằng tháng, đến {last}"
            if vi
            else f"day {due_day} of each month, until {last}"
        )
    return (
        f"ngày {due_day} tháng cuối mỗi quý, đến {last}"
        if vi
        else f"day {due_day} of each quarter's last month, until {last}"
    )
