"""The web portal as clerks and the 科协 office use it, in a real browser (Debian's chromium under
Playwright) on a real `kepu run`: set-up links, sign-in, the activity form, records with
corrections and retraction, a workbook import, the office overview, and what must never happen
(another organisation's data by URL, a form without its CSRF token, a viewer reporting).

One system serves the module; each test works on its own activity types or organisations. Every
page is screenshotted at desktop and phone width under var/screenshots/portal and checked with
axe (no serious or critical findings).
"""
from __future__ import annotations

import datetime as dt
import re

import openpyxl
import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from tests.browser.chromium import WIDTHS, screenshot, serious_violations
from tests.browser.system import PASSWORD
from tests.e2e.system import kepu, metric, wait_for_metric
from tests.eventually import eventually

pytestmark = pytest.mark.e2e
SMART_MOTHER = 'kepu_indicator_actual{indicator="smart-mother",region="dangshan",scope="dangshan",window="2025"}'


def person(portal, account: str, width: str = "desktop"):
    """A browser page signed in as ``account`` (choosing its password through its set-up link
    the first time)."""
    w, h = WIDTHS[width]
    context = portal["browser"].new_context(viewport={"width": w, "height": h}, locale="zh-CN")
    page = context.new_page()
    if account not in portal["set_up"]:
        page.goto(portal["links"][account])
        expect(page.locator("h1")).to_have_text("设置密码")
        page.fill("#password", PASSWORD)
        page.fill("#password_again", PASSWORD)
        submit(page)
        expect(page.locator("[role=status]")).to_contain_text("密码已设置")
        portal["set_up"].add(account)
    sign_in(page, portal, account)
    return page


def submit(page) -> None:
    """The page's own form (the header's sign-out button is a form too)."""
    page.locator("main form button[type=submit]").last.click()


def sign_in(page, portal, account: str, password: str = PASSWORD) -> None:
    page.goto(portal["base"] + "/login")
    page.fill("#account", account)
    page.fill("#password", password)
    submit(page)


def fill_activity(page, portal, activity_type: str, title: str, day: str, **quantities) -> None:
    page.goto(f"{portal['base']}/report")
    page.select_option("#type", activity_type)  # the script submits the choice at once
    page.wait_for_url(re.compile(r"type="))
    page.fill("#title", title)
    page.fill("#start_date", day)
    for code, amount in quantities.items():
        page.fill(f"#q-{code}", str(amount))


def activities_titled(portal, title: str) -> int:
    """How many stored activities (retracted ones too) carry ``title``, read as the office."""
    page = person(portal, "office-li")
    page.goto(f"{portal['base']}/records?retracted=1")
    count = page.get_by_role("link", name=title, exact=True).count()
    page.context.close()
    return count


def test_a_clerk_reports_through_the_form_and_sees_the_figure_move(portal):
    env = portal["env"]
    before = metric(env, "indicators", SMART_MOTHER) or 0.0
    page = person(portal, "fulian-wang")
    expect(page.locator("h1")).to_contain_text("我的进度")
    expect(page.locator(".who")).to_contain_text("王芳")
    fill_activity(page, portal, "smart_mother", "智爱妈妈进社区", "2025-06-01", sessions=2, participants=60)
    page.select_option("#target_group", "public")
    submit(page)
    expect(page.locator("h1")).to_have_text("已保存")
    row = page.locator("tr", has_text="智爱妈妈行动")
    expect(row.locator("td").nth(3)).to_have_text(f"{before:g}场次")
    expect(row.locator("td").nth(4)).to_have_text(f"{before + 2:g}场次")
    wait_for_metric(env, "indicators", SMART_MOTHER, before + 2)
    page.goto(portal["base"] + "/")
    expect(page.locator("article.indicator", has_text="智爱妈妈行动")).to_contain_text(f"{before + 2:g}场次 / 全年目标5场次")
    page.context.close()


def test_a_wrong_quantity_is_shown_in_chinese_beside_its_field_and_nothing_is_stored(portal):
    env = portal["env"]
    before = metric(env, "indicators", SMART_MOTHER) or 0.0
    page = person(portal, "fulian-wang", "phone")
    fill_activity(page, portal, "smart_mother", "人数填错的活动", "2025-06-02", sessions="2.5", participants="三十")
    submit(page)
    participants = page.locator("#q-participants-error")
    expect(participants).to_contain_text("请填写数字")  # not even sendable: the portal says so itself
    expect(page.locator("#q-participants")).to_have_value("三十")
    page.fill("#q-participants", "30")
    submit(page)
    sessions = page.locator("#q-sessions-error")  # the gateway's rule: a count is whole
    expect(sessions).to_be_visible()
    assert re.search(r"[\u4e00-\u9fff]", sessions.inner_text()), sessions.inner_text()
    expect(page.locator("#q-sessions")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#q-sessions")).to_have_value("2.5")
    expect(page.locator("#title")).to_have_value("人数填错的活动")
    expect(page.locator("#form-problems")).to_be_focused()
    screenshot(page, "report-problems-phone")
    page.context.close()
    assert activities_titled(portal, "人数填错的活动") == 0
    assert (metric(env, "indicators", SMART_MOTHER) or 0.0) == before


def test_a_double_submit_and_a_resubmit_after_going_back_store_one_activity(portal):
    page = person(portal, "fulian-wang")
    fill_activity(page, portal, "smart_mother", "只应保存一次的讲座", "2025-06-03", sessions=1, participants=40)
    # a double click without the page's script: the same form sent twice
    fields = page.evaluate("() => Array.from(new FormData(document.querySelector('form.activity')).entries())")
    for _ in range(2):
        answer = page.request.post(portal["base"] + "/report", form=dict(fields), max_redirects=0)
        assert answer.status == 303, answer.text()
    submit(page)  # and once more by hand: told it was stored before
    expect(page.locator("h1")).to_have_text("这项活动已经保存过")
    page.go_back()  # back to the form, which kept its external_id, and send it again
    expect(page.locator("#title")).to_have_value("只应保存一次的讲座")
    submit(page)
    expect(page.locator("h1")).to_have_text("这项活动已经保存过")
    page.context.close()
    assert activities_titled(portal, "只应保存一次的讲座") == 1


def test_a_correction_and_a_retraction_with_their_history(portal):
    env = portal["env"]
    page = person(portal, "fulian-wang")
    fill_activity(page, portal, "rural_children_science", "少儿科学营", "2025-05-20", sessions=3, participants=90)
    submit(page)
    page.get_by_role("link", name="查看这条记录").click()
    record = page.url
    page.get_by_role("link", name="更正").click()
    stale = page.context.new_page()  # a second tab, opened on the same revision
    stale.goto(page.url)
    page.fill("#q-sessions", "4")
    page.fill("#reason", "场次统计有误")
    submit(page)
    expect(page.locator("[role=status]")).to_contain_text("已更正为第2版")
    expect(page.locator(".history li").first).to_contain_text("第2版 · 更正")
    expect(page.locator(".history li").first).to_contain_text("fulian-wang")
    expect(page.locator(".history li").first).to_contain_text("场次统计有误")
    stale.fill("#q-participants", "95")
    submit(stale)
    expect(stale.locator("[role=alert]")).to_contain_text("这条活动已被修改过")
    expect(stale.locator("#q-participants")).to_have_value("95")  # what was typed is kept
    screenshot(stale, "correct-stale-desktop")
    stale.close()
    series = 'kepu_indicator_actual{indicator="rural-children-science",region="dangshan",scope="dangshan",window="2025"}'
    counted = metric(env, "indicators", series)
    page.goto(record)
    page.click("form[action$='/retract'] button[type=submit]")
    expect(page.locator("#reason-error")).to_contain_text("请填写撤回原因")
    page.fill("#reason", "重复填报")
    page.click("form[action$='/retract'] button[type=submit]")
    expect(page.locator("[role=status]")).to_contain_text("已撤回")
    expect(page.locator(".history li").first).to_contain_text("撤回")
    wait_for_metric(env, "indicators", series, counted - 4)
    page.context.close()


def _workbook(path, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["活动类型", "活动名称", "开始日期", "场次", "人次"])
    for row in rows:
        sheet.append(row)
    book.save(path)


def test_a_workbook_is_checked_then_imported(portal, tmp_path):
    path = tmp_path / "妇联活动.xlsx"
    _workbook(path, [["科普惠民乡村行", "乡村行一", "2025-04-01", 1, 50],
                     ["科普惠民乡村行", "乡村行二", "2025/4/8", 2, 80],
                     ["科普惠民乡村行", "乡村行三", "2025-04-15", "两场", 30]])
    page = person(portal, "fulian-wang")
    page.goto(portal["base"] + "/import")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("下载导入模板")).click()
    assert download.value.suggested_filename.endswith(".xlsx")
    page.set_input_files("#file", str(path))
    submit(page)
    expect(page.locator("h2").first).to_have_text("检查结果（尚未保存）")
    expect(page.locator("table.problems")).to_contain_text("第4行「场次」")
    screenshot(page, "import-checked-desktop")
    assert activities_titled(portal, "乡村行一") == 0  # a dry run stores nothing
    page.click("text=只导入没有问题的行")
    expect(page.locator("h2").first).to_have_text("导入完成", timeout=30_000)
    expect(page.locator("[role=status]")).to_contain_text("新增 2 项")
    page.goto(portal["base"] + "/import")  # the same file again changes nothing
    page.set_input_files("#file", str(path))
    submit(page)
    expect(page.locator("main")).to_contain_text("已存在无变化 2 项")
    page.context.close()
    assert activities_titled(portal, "乡村行二") == 1


def test_a_viewer_sees_the_figures_but_not_the_form(portal):
    page = person(portal, "fulian-zhao")
    expect(page.locator("nav.tabs")).not_to_contain_text("填报活动")
    page.goto(portal["base"] + "/report")
    expect(page.locator("h1")).to_have_text("没有填报权限")
    page.goto(portal["base"] + "/records")
    expect(page.locator("h1")).to_have_text("我的记录")
    page.context.close()


def test_another_organisations_activity_is_not_reachable_by_url(portal):
    page = person(portal, "edu-chen")
    fill_activity(page, portal, "science_week", "教育局科技周（他人不可见）", "2025-05-18", sessions=1, participants=10)
    submit(page)
    expect(page.locator("h1")).to_have_text("已保存")
    activity_url = page.get_by_role("link", name="查看这条记录").get_attribute("href")
    page.context.close()
    page = person(portal, "fulian-wang")
    for path in (activity_url, activity_url + "/correct"):
        response = page.goto(portal["base"] + path)
        assert response.status == 404
        expect(page.locator("h1")).to_have_text("找不到这项内容")
        expect(page.locator("body")).not_to_contain_text("教育局科技周")
        expect(page.locator("body")).not_to_contain_text("Traceback")
    page.context.close()


def test_a_town_reports_only_its_own_town(portal):
    page = person(portal, "town-a-liu")
    fill_activity(page, portal, "rural_outreach", "镇里的乡村行", "2025-05-05", sessions=1, participants=20)
    assert page.locator("#town option").all_inner_texts() == ["示例镇甲"]
    submit(page)
    expect(page.locator("h1")).to_have_text("已保存")
    page.context.close()


def test_signing_out_an_ended_session_and_an_idle_one(portal):
    base, env = portal["base"], portal["env"]
    page = person(portal, "fulian-wang")
    page.click("text=退出登录")
    expect(page.locator("[role=status]")).to_have_text("您已安全退出。")
    page.goto(base + "/records")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Frecords"))
    sign_in(page, portal, "fulian-wang")
    expect(page.locator("h1")).to_contain_text("我的进度")
    kepu(env, "org", "user", "sign-out", "fulian-wang")  # an operator ends it
    eventually(lambda: page.goto(base + "/") and "/login" in page.url, timeout=10)
    expect(page.locator("[role=status]")).to_contain_text("登录已过期")
    sign_in(page, portal, "fulian-wang")
    engine = create_engine(f"sqlite:///{portal['var']}/db/organisations.sqlite3")
    with engine.begin() as conn:  # nine hours without a call, without waiting nine hours
        conn.execute(text("update sessions set last_seen_at = :t where ended_at is null"),
                     {"t": dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=9)})
    engine.dispose()
    eventually(lambda: page.goto(base + "/") and "/login" in page.url, timeout=10)
    page.context.close()


def test_wrong_passwords_are_refused_in_chinese(portal):
    page = portal["browser"].new_page(locale="zh-CN")
    sign_in(page, portal, "fulian-wang", "not-the-password")
    expect(page.locator("#login-error")).to_contain_text("账号或密码不正确")
    expect(page.locator("#account")).to_have_value("fulian-wang")
    page.close()


def test_a_form_without_its_csrf_token_is_refused(portal):
    page = person(portal, "fulian-wang")
    answer = page.request.post(portal["base"] + "/report", form={
        "activity_type": "smart_mother", "title": "跨站伪造的活动", "start_date": "2025-06-05", "q.sessions": "1"},
        max_redirects=0)
    assert answer.status == 403
    assert "表单已失效" in answer.text()
    answer = page.request.post(portal["base"] + "/report", form={
        "csrf": "0" * 40, "activity_type": "smart_mother", "title": "跨站伪造的活动", "start_date": "2025-06-05",
        "q.sessions": "1"}, max_redirects=0)
    assert answer.status == 403
    page.context.close()
    assert activities_titled(portal, "跨站伪造的活动") == 0


def test_pages_carry_the_security_headers_and_the_portal_reports_to_prometheus(portal):
    answer = requests.get(portal["base"] + "/login", timeout=10)
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["x-content-type-options"] == "nosniff"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie  # plain http here
    assert requests.get(portal["base"] + "/healthz", timeout=10).json() == {"portal": "ok", "gateway": "SERVING"}
    assert "web portal" in portal["banner"]
    assert (metric(portal["env"], "portal", 'kepu_portal_requests_total{page="sign_in_page",status="200"}') or 0) >= 1


def test_a_clerk_submits_a_quarter_the_office_approves_it_and_the_lock_holds_until_reopened(portal):
    """报送 in the portal (at 2025-06-30, the first quarter's deadline has passed): the clerk's
    page offers the quarter and submits it as 本期无活动; the office sees who is late, approves
    it; a report dated in it is refused beside its date, in Chinese; reopening with a reason
    lets it through."""
    office = person(portal, "office-li")
    office.goto(portal["base"] + "/office")
    late = office.locator("#periods ul.late li", has_text="2025年第一季度")
    expect(late).to_contain_text("县教育局")
    expect(late).to_contain_text("县妇联")
    expect(office.locator("#periods ul.late")).not_to_contain_text("dangshan")  # the region reports to nobody

    clerk = person(portal, "edu-chen")
    section = clerk.locator("#periods")
    expect(section.locator("form.submit-period")).to_contain_text("2025年第一季度：逾期未报送")
    section.get_by_role("button", name="本期无活动").click()
    expect(section.locator("[role=status]")).to_have_text("已报送2025年第一季度：本期无活动。")
    expect(section.locator("tr", has_text="2025年第一季度")).to_contain_text("逾期报送")
    expect(section.locator("tr", has_text="2025年第一季度")).to_contain_text("待审核")

    other = person(portal, "fulian-wang")  # a second unit's clerk, so the office approves the quarter at once
    other.locator("#periods").get_by_role("button", name="本期无活动").click()
    expect(other.locator("#periods [role=status]")).to_have_text("已报送2025年第一季度：本期无活动。")
    other.context.close()

    office.goto(portal["base"] + "/office")
    expect(late).not_to_contain_text("县教育局")
    group = office.locator("#periods details.approve", has_text="2025年第一季度：2个单位待审核")
    expect(group.locator("tr", has_text="县教育局")).to_contain_text("本期无活动")
    group.get_by_role("button", name="全部审核锁定（2个单位）").click()
    expect(office.locator("#periods [role=status]")).to_have_text("已审核并锁定2025年第一季度2个单位的报送。")

    fill_activity(clerk, portal, "science_week", "科普讲座（补报）", "2025-02-10", sessions=1, participants=40)
    submit(clerk)
    expect(clerk.locator("h1")).to_have_text("填报活动")
    expect(clerk.locator("#start_date-error")).to_contain_text("2025年第一季度已于2025年6月30日审核锁定")
    clerk.goto(portal["base"] + "/")
    expect(section.locator("tr", has_text="2025年第一季度")).to_contain_text("已审核锁定")

    office.goto(portal["base"] + "/office")
    office.locator("#periods details summary").click()
    reopen = office.locator("#periods li", has_text="县教育局 2025年第一季度").locator("form")
    reopen.get_by_role("button", name="重新打开").click()  # no reason: the browser asks for one
    expect(office.locator("#periods [role=status]")).to_have_count(0)
    reopen.get_by_label("原因").fill("补报二月的一场讲座")
    reopen.get_by_role("button", name="重新打开").click()
    expect(office.locator("#periods [role=status]")).to_contain_text("已重新打开县教育局2025年第一季度")

    fill_activity(clerk, portal, "science_week", "科普讲座（补报）", "2025-02-10", sessions=1, participants=40)
    submit(clerk)
    expect(clerk.locator("h1")).to_have_text("已保存")
    clerk.goto(portal["base"] + "/")
    expect(section.locator("tr", has_text="2025年第一季度")).to_contain_text("1项活动")
    office.context.close()
    clerk.context.close()


def test_the_office_downloads_the_last_quarter_s_pack(portal, tmp_path):
    """调度会材料 from 全县总览: the ended quarter's page, and its PDF as the gateway lays it out."""
    office = person(portal, "office-li")
    office.goto(portal["base"] + "/office")
    office.get_by_role("link", name="2025年第一季度").click()
    expect(office.locator("h1")).to_have_text("2025年第一季度调度会材料")
    with office.expect_download(timeout=60_000) as download:
        office.get_by_role("link", name="下载PDF（打印、会上分发）").click()
    path = tmp_path / "pack.pdf"
    download.value.save_as(path)
    assert download.value.suggested_filename == "砀山县2025年第一季度调度会材料.pdf"
    assert path.read_bytes()[:5] == b"%PDF-"
    office.context.close()


PAGES = {  # name: (account, path)
    "login": (None, "/login"),
    "progress": ("fulian-wang", "/"),
    "report-choose": ("fulian-wang", "/report"),
    "report-form": ("fulian-wang", "/report?type=smart_mother"),
    "records": ("fulian-wang", "/records"),
    "import": ("fulian-wang", "/import"),
    "office": ("office-li", "/office"),
    "pack": ("office-li", "/office/packs/2025Q1"),
    "office-records": ("office-li", "/records"),
    "viewer-progress": ("fulian-zhao", "/"),
    "not-found": ("fulian-wang", "/records/no-such-activity"),
}


@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_page_at_both_widths_is_screenshotted_and_passes_axe(portal, width):
    found = {}
    pages = {}
    for name, (account, path) in PAGES.items():
        if account not in pages:
            if account is None:
                w, h = WIDTHS[width]
                pages[None] = portal["browser"].new_page(viewport={"width": w, "height": h}, locale="zh-CN")
            else:
                pages[account] = person(portal, account, width)
        page = pages[account]
        page.goto(portal["base"] + path)
        screenshot(page, f"{name}-{width}")
        if problems := serious_violations(page):
            found[name] = problems
        if name == "records":  # and a record with its history, and its correction form
            page.locator("table.records a").first.click()
            screenshot(page, f"record-{width}")
            found.update({"record": p for p in [serious_violations(page)] if p})
            page.get_by_role("link", name="更正").click()
            screenshot(page, f"correct-{width}")
            found.update({"correct": p for p in [serious_violations(page)] if p})
    for page in pages.values():
        page.context.close()
    assert not found, found
    # a phone shows no sideways scrolling page
    if width == "phone":
        page = person(portal, "fulian-wang", "phone")
        for path in ("/", "/report?type=smart_mother", "/records", "/import"):
            page.goto(portal["base"] + path)
            assert page.evaluate("document.documentElement.scrollWidth") <= 360 + 1, path
        page.context.close()


def test_a_person_without_a_mouse_signs_in_and_reaches_the_form(portal):
    """Keyboard only: the skip link first, labelled inputs in order, Enter submits."""
    person(portal, "fulian-wang").context.close()  # its password is set
    page = portal["browser"].new_page(locale="zh-CN")
    page.goto(portal["base"] + "/login")
    page.keyboard.press("Tab")
    expect(page.locator("a.skip")).to_be_focused()
    page.locator("#account").focus()
    page.keyboard.type("fulian-wang")
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("我的进度")
    page.goto(portal["base"] + "/report")
    page.locator("#type").focus()
    page.keyboard.press("ArrowDown")  # the first type; the page's script opens its form
    page.wait_for_url(re.compile(r"type="))
    expect(page.locator("#title")).to_be_visible()
    page.close()
