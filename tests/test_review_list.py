"""The review list on both databases: oldest first, filters, the count in every reviewer's
header; and what the form page says (state, pre-filled cells, a date as typed)."""

from __future__ import annotations

import json
import re

from service.auth.users import find_user
from tests import tablet_scene
from tests.conftest import csrf_token, login


def _rows(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr class="[^"]*" data-form="(\d+)"', page)]


def test_oldest_first_filtered_and_counted(app, client) -> None:
    scene = tablet_scene.build()
    login(client, find_user("zhou"), tablet_scene.PASSWORD)
    page = client.get("/review").get_data(as_text=True)
    assert _rows(page) == [scene.other_intake_id, scene.waiting_interview_id,
                           scene.third_interview_id]
    assert re.findall(r'<time datetime="[^"]+" title="[^"]+">([^<]+)</time>', page) == [
        "3天", "1天", "5小时"]
    li = find_user("li")
    assert _rows(client.get(f"/review?worker={li.id}").get_data(as_text=True)) == [
        scene.other_intake_id]
    assert _rows(client.get("/review?annex=C").get_data(as_text=True)) == [
        scene.waiting_interview_id, scene.third_interview_id]
    assert _rows(client.get("/review?case=00003").get_data(as_text=True)) == [
        scene.third_interview_id]
    assert _rows(client.get("/review?case=张丽华").get_data(as_text=True)) == [
        scene.other_intake_id]
    # nonsense filters are ignored, not an error
    assert len(_rows(client.get("/review?worker=x&annex=Z").get_data(as_text=True))) == 3
    for path in ("/cases", f"/cases/{scene.case_id}", "/review"):
        header = client.get(path).get_data(as_text=True).split("</header>")[0]
        assert re.search(r'class="count waiting-count"[^>]*>3</span>', header), path

    login(client, find_user("chen"), tablet_scene.PASSWORD)
    assert "waiting-count" not in client.get("/cases").get_data(as_text=True)
    assert client.get("/review").status_code == 403


def test_form_page_footer_prefill_and_date_as_typed(app, client) -> None:
    scene = tablet_scene.build()
    login(client, find_user("chen"), tablet_scene.PASSWORD)
    page = client.get(f"/cases/{scene.case_id}/forms/{scene.closing_id}").get_data(as_text=True)
    assert "草稿：尚未提交" in page
    assert re.search(r'name="client_name"[^>]*data-prefilled="1"|data-prefilled="1"[^>]*name="client_name"', page)
    texts = json.loads(page.split('<script type="application/json" id="form-texts">')[1]
                       .split("</script>")[0])
    assert "恢复连接后立即自动发送" in texts["submitWaiting"]
    returned = f"/cases/{scene.case_id}/forms/{scene.returned_interview_id}"
    page = client.get(returned).get_data(as_text=True)
    assert "已退回修改" in page and "data-prefilled" not in page  # submitted before: nothing pre-filled
    token = csrf_token(client, returned)
    from service.annexes.examples import example
    from tests.conftest import posted_form

    data = posted_form({k: v for k, v in example("C").items()
                        if k not in ("supervisor_opinion", "supervisor_signature")})
    data.update({"date": "2023-02-30", "csrf_token": token, "action": "submit"})
    response = client.post(returned, data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    field = re.search(r'<input[^>]*name="date"[^>]*>', page).group(0)
    assert 'value="2023-02-30"' in field and 'type="text"' in field
    cell = page.split('data-field="date"')[1].split("</td>")[0]
    assert 'class="error"' in cell
