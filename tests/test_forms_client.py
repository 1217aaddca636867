"""The Forms API client through the real google-api-python-client against the loopback server."""

from datetime import datetime, timedelta, timezone

import pytest

from bot.adapters.forms import SCOPES, FormsClient
from bot.errors import SheetError
from tests.support.google_server import GoogleServer

BASE = datetime(2026, 9, 1, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def server():
    with GoogleServer() as server:
        server.add_form("form-1", "FVMA", ["Nom", {"title": "Date de début du contrat", "kind": "date"}])
        yield server
        assert not server.errors


def client(server, form_id="form-1", **kwargs) -> FormsClient:
    kwargs.setdefault("sleep", lambda s: None)
    return FormsClient(server.credentials(SCOPES), form_id, server.url, **kwargs)


def submit(server, n: int) -> list[str]:
    return [server.add_response("form-1", {"Nom": f"N{i}", "Date de début du contrat": "2026-09-15"},
                                email=f"e{i}@etu.univ-amu.fr", submitted=BASE + timedelta(hours=i))
            for i in range(n)]


def test_the_questions_come_from_forms_get_without_any_discovery_request(server):
    got = client(server).form()
    assert [i["title"] for i in got["items"]] == ["Nom", "Date de début du contrat"]
    assert [(r.method, r.path) for r in server.requests] == [("GET", "/v1/forms/form-1")]
    assert set(server.scopes_seen) == set(SCOPES)


def test_every_page_is_read_and_the_page_token_follows_the_filter(server):
    ids = submit(server, 5)
    forms = client(server, page_size=2)
    assert [r["responseId"] for r in forms.responses()] == ids
    lists = [r for r in server.requests if r.method_id == "forms.forms.responses.list"]
    assert [("pageToken" in r.query, r.query.get("filter")) for r in lists] == \
        [(False, None), (True, None), (True, None)]
    server.reset_counts()
    since = forms.responses("2026-09-01T09:00:00.000000000Z")
    assert [r["responseId"] for r in since] == ids[2:]
    assert {r.query["filter"] for r in server.requests} == {"timestamp > 2026-09-01T09:00:00.000000000Z"}
    assert len(server.requests) == 2


def test_an_edited_response_comes_again_with_its_new_answers_and_time(server):
    ids = submit(server, 3)
    server.edit_response("form-1", ids[0], {"Nom": "N0 corrigé"}, submitted=BASE + timedelta(days=1))
    again = client(server).responses("2026-09-01T10:00:00Z")
    assert [r["responseId"] for r in again] == [ids[0]]
    assert again[0]["lastSubmittedTime"] == "2026-09-02T08:00:00.000000Z"
    assert again[0]["createTime"] == "2026-09-01T08:00:00.000Z"


def test_half_an_emoji_in_an_answer_is_read_as_a_replacement_character(server):
    server.add_response("form-1", {"Nom": "Léa \ud83d", "Date de début du contrat": "2026-09-15"},
                        email="e@etu.univ-amu.fr", submitted=BASE)
    (got,) = client(server).responses()
    assert [a["textAnswers"]["answers"][0]["value"] for a in got["answers"].values()
            if a["textAnswers"]["answers"][0]["value"].startswith("Léa")] == ["Léa \ufffd"]


def test_a_429_is_waited_out_for_as_long_as_retry_after_says(server):
    submit(server, 3)
    slept = []
    server.fail_next(429, count=2, retry_after=7)
    server.fail_next(503, count=1)
    assert len(client(server, sleep=slept.append).responses()) == 3
    assert slept == [7, 7, 4]   # then exponential: the third attempt waits 2**2 s


def test_a_quota_that_outlasts_the_budget_is_a_transient_error(server):
    server.fail_next(429, count=10, retry_after=30)
    with pytest.raises(SheetError) as caught:
        client(server, budget_seconds=60).responses()
    assert caught.value.transient and caught.value.retry_after == 30
    assert "429" in str(caught.value)


def test_a_dropped_connection_is_retried(server):
    submit(server, 1)
    server.fail_next(0, count=1)
    assert len(client(server).responses()) == 1


def test_a_form_not_shared_with_the_service_account_says_so(server):
    server.fail_next(403)
    with pytest.raises(SheetError) as caught:
        client(server).form()
    message = str(caught.value)
    assert "fvma-bot@fvma-test.iam.gserviceaccount.com" in message and "editor of the form" in message
    assert not caught.value.transient


def test_a_disabled_api_says_where_to_enable_it(server):
    server.fail_next(403, message="Google Forms API has not been used in project 100000000001 before or it is "
                                  "disabled. Enable it by visiting …")
    with pytest.raises(SheetError, match="forms.googleapis.com"):
        client(server).responses()


def test_credentials_without_the_forms_scopes_say_so(server):
    forms = FormsClient(server.credentials(["https://www.googleapis.com/auth/spreadsheets"]), "form-1", server.url)
    with pytest.raises(SheetError, match="lack the Forms scopes"):
        forms.form()


def test_an_unknown_form_names_the_key_to_check(server):
    with pytest.raises(SheetError, match=r"\[sheet.forms\].form_id"):
        client(server, form_id="1FAIpQLSe-responder-id").form()
