"""Brand lift studies end to end: a question asked of exposed and control users, answers
recorded through tracking, results recomputed here from the answers."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from shelfspace.decisioning.holdout import StudyGroup, group_of
from shelfspace.events.model import InvalidReason
from shelfspace.measurement.brand_lift import answer_event
from shelfspace.tracking.recorder import FloodRule
from tests.measurement.test_lift_api import app_clock, past_the_read_date, surveyed_study  # noqa: F401  (fixtures)
from tests.support import HERO_ASK, Api, decide, field_errors, runtime

QUESTION = {
    "question": "Which of these brands have you heard of?",
    "answers": ["Bolt", "Acme", "Camp Co"],
    "correct_answer": "Acme",
    "metric": "awareness",
}


def ask(api: Api, user: str) -> Any:
    answer = api.client.get("/v1/surveys", params={"user": user})
    assert answer.status_code in (200, 204), answer.text
    return answer.json() if answer.status_code == 200 else None


def choose(api: Api, question: Any, position: int, status: int = 204) -> Any:
    url = urlsplit(question["answers"][position]["url"])
    answer = api.client.get(f"{url.path}?{url.query}")
    assert answer.status_code == status, answer.text
    return answer.json() if answer.content else None


def read_after_answers(operator: Api, study: dict[str, Any], chose_exposed: int, chose_control: int) -> Any:
    """A study on the campaign, 150 answers a group recorded now (so many of each choosing
    the brand), and its results read past the campaign's read date."""
    created = operator.post("/v1/brand-lift-studies", QUESTION | {"campaign_id": study["campaign"]["id"]})
    recorder = runtime(operator.client).recorder
    now = study["clock"].now()
    recorder.record_now(
        [
            answer_event(created["id"], f"{group.value}-{n}", group, 1 if n < chose else 0, now)
            for group, chose in ((StudyGroup.TREATMENT, chose_exposed), (StudyGroup.CONTROL, chose_control))
            for n in range(150)
        ]
    )
    past_the_read_date(study)
    return operator.get(f"/v1/brand-lift-studies/{created['id']}")["results"]


def test_exposed_and_control_users_are_asked_once_and_the_lift_adds_up(
    operator: Api, surveyed_study: dict[str, Any]
) -> None:  # noqa: F811
    study = surveyed_study
    campaign_id = study["campaign"]["id"]
    # The 60 shoppers here all answer from the test client's one address: not a flood.
    runtime(operator.client).recorder.flood = FloodRule(max_answers=1_000)
    created = operator.post("/v1/brand-lift-studies", QUESTION | {"campaign_id": campaign_id})
    assert created["status"] == "live" and created["results"]["exposed"]["responses"] == 0
    groups = {u: group_of(campaign_id, u, 50) for u in study["users"]}
    chose = {StudyGroup.TREATMENT: [0, 0], StudyGroup.CONTROL: [0, 0]}  # [answers, chose Acme]
    for n, user in enumerate(study["users"]):
        question = ask(operator, user)
        assert question is not None, user  # every one of them was exposed, or had a ghost
        assert (
            question["question"] == QUESTION["question"]
            and [a["text"] for a in question["answers"]] == QUESTION["answers"]
        )
        # Treatment users pick Acme two times in three, control users one in three.
        picks_acme = n % 3 != 0 if groups[user] is StudyGroup.TREATMENT else n % 3 == 0
        choose(operator, question, 1 if picks_acme else 0)
        choose(operator, question, 2)  # a second answer from the same link counts once
        chose[groups[user]][0] += 1
        chose[groups[user]][1] += picks_acme
        assert ask(operator, user) is None  # answered: not asked again
    assert ask(operator, "never-seen") is None
    interim = operator.get(f"/v1/brand-lift-studies/{created['id']}")["results"]
    assert interim["interim"] is True and interim["absolute_lift"] is None and interim["ci95"]["absolute"] is None
    assert interim["exposed"]["responses"] == chose[StudyGroup.TREATMENT][0]  # the counts, and no lift yet
    past_the_read_date(study)

    body = operator.get(f"/v1/brand-lift-studies/{created['id']}")
    results = body["results"]
    exposed, control = results["exposed"], results["control"]
    assert (exposed["responses"], exposed["chose_brand"]) == tuple(chose[StudyGroup.TREATMENT])
    assert (control["responses"], control["chose_brand"]) == tuple(chose[StudyGroup.CONTROL])
    assert sum(exposed["by_answer"]) == exposed["responses"] and exposed["by_answer"][2] == 0
    assert results["interim"] is False and results["minimum_sample_reached"] is False
    assert results["absolute_lift"] is None and results["significant"] is False  # under 100 answers a group
    assert results["cost_per_lifted_user"] is None and "at least 100" in body["minimum_sample"]
    listed = operator.get(f"/v1/brand-lift-studies?campaign_id={campaign_id}")["data"]
    assert [s["id"] for s in listed] == [created["id"]]
    closed = operator.patch(f"/v1/brand-lift-studies/{created['id']}", {"status": "closed"})
    assert closed["status"] == "closed" and ask(operator, "any-user") is None


def test_a_user_exposed_a_moment_ago_is_asked_before_the_marks_are_written(
    operator: Api, surveyed_study: dict[str, Any]
) -> None:  # noqa: F811
    study = surveyed_study
    campaign_id = study["campaign"]["id"]
    operator.post("/v1/brand-lift-studies", QUESTION | {"campaign_id": campaign_id})
    newcomer = next(u for n in range(100) if group_of(campaign_id, u := f"newcomer-{n}", 50) is StudyGroup.TREATMENT)
    assert ask(operator, newcomer) is None  # never met the campaign
    assert decide(operator, HERO_ASK | {"user": {"id": newcomer}})["decisions"]["home-hero"]
    question = ask(operator, newcomer)  # no flush in between: the mark is still in memory
    assert question is not None and question["study_id"]
    choose(operator, question, 1)
    assert ask(operator, newcomer) is None


def test_past_the_minimum_sample_the_lift_is_declared_with_its_cost(
    operator: Api, surveyed_study: dict[str, Any]
) -> None:  # noqa: F811
    study = surveyed_study
    # 150 answers a group: 60% of the exposed chose the brand, 40% of the control group.
    results = read_after_answers(operator, study, chose_exposed=90, chose_control=60)
    assert results["minimum_sample_reached"] is True and results["significant"] is True
    assert results["absolute_lift"] == pytest.approx(0.2)
    assert results["relative_lift"] == pytest.approx(0.5)
    reached = results["exposed_users"]
    assert reached == sum(1 for ads in study["served"].values() if ads) + 1  # and the warm-up shopper
    assert results["lifted_users"] == pytest.approx(0.2 * reached, abs=0.01)
    assert results["cost_per_lifted_user"] == pytest.approx(results["spend"] / (0.2 * reached), abs=1e-6)
    # The case study's draft leads with the lift the study proved, and quotes it.
    page = operator.client.get(f"/v1/campaigns/{study['campaign']['id']}/case-study", headers=operator.headers).text
    assert "Acme Outdoor on " in page and ": +20.0 points in awareness" in page
    low, high = results["ci95"]["absolute"]
    assert (
        f"60.0% of shoppers who saw the ads chose Acme, against 40.0% of shoppers held out: +20.0 points "
        f"(95% interval {low * 100:+.1f} to {high * 100:+.1f}), from 150 and 150 answers."
    ) in page


def test_bad_studies_and_bad_answers_are_named(
    operator: Api, advertiser_api: Api, surveyed_study: dict[str, Any]
) -> None:  # noqa: F811
    study = surveyed_study
    campaign_id = study["campaign"]["id"]
    wrong = operator.post(
        "/v1/brand-lift-studies", QUESTION | {"campaign_id": campaign_id, "correct_answer": "Zed"}, status=422
    )
    assert "one of the answers" in str(wrong)
    twice = operator.post(
        "/v1/brand-lift-studies", QUESTION | {"campaign_id": campaign_id, "answers": ["Acme", "Acme"]}, status=422
    )
    assert "different" in str(twice)
    assert "campaign_id" in field_errors(
        operator.post("/v1/brand-lift-studies", QUESTION | {"campaign_id": "cmp_x"}, status=422)
    )
    no_holdout = operator.post(
        "/v1/campaigns",
        {
            "advertiser_id": advertiser_api.advertiser_id,
            "name": "Plain",
            "start": "2026-12-01T00:00:00+00:00",
            "budget_total": 10,
            "budget_daily": 5,
            "pacing": "asap",
        },
    )
    refused = operator.post("/v1/brand-lift-studies", QUESTION | {"campaign_id": no_holdout["id"]}, status=422)
    assert "holdout_percent" in field_errors(refused)["campaign_id"]

    operator.post("/v1/brand-lift-studies", QUESTION | {"campaign_id": campaign_id})
    question = ask(operator, study["users"][0])
    token_path = urlsplit(question["answers"][0]["url"]).path
    out_of_range = operator.client.get(f"{token_path}?answer=3")
    assert out_of_range.status_code == 422 and "0 to 2" in out_of_range.text
    forged = operator.client.get(token_path[:-3] + "xyz?answer=0")
    assert forged.status_code == 422 and "not a Shelfspace survey link" in forged.text
    assert operator.client.get("/v1/surveys").status_code == 422  # no user named


def test_an_advertiser_sees_only_its_own_studies(
    operator: Api, advertiser_api: Api, engine: Any, surveyed_study: dict[str, Any]
) -> None:  # noqa: F811
    study = surveyed_study
    from shelfspace.accounts.roles import Role
    from tests.conftest import new_key

    mine = advertiser_api.post("/v1/brand-lift-studies", QUESTION | {"campaign_id": study["campaign"]["id"]})
    other = operator.post("/v1/advertisers", {"name": "Other", "domain": "other.example"})
    stranger = Api(operator.client, new_key(engine, Role.ADVERTISER, other["id"]))
    assert stranger.get(f"/v1/brand-lift-studies/{mine['id']}", status=404)["error"]["code"] == "not_found"
    assert stranger.get("/v1/brand-lift-studies")["data"] == []
    refused = stranger.post("/v1/brand-lift-studies", QUESTION | {"campaign_id": study["campaign"]["id"]}, status=422)
    assert "campaign_id" in field_errors(refused)


def test_answer_urls_say_nothing_of_the_group_and_scripts_count_nowhere(
    operator: Api, surveyed_study: dict[str, Any]
) -> None:  # noqa: F811
    """The audit's forgery: a script read each user's group from the answer URL and
    answered for thousands of users from one address. Now the URL names the study and
    the user only; answers beyond 20 an hour from one address, and any from a declared
    bot, are stored as invalid and counted nowhere."""
    study = surveyed_study
    import base64
    import json

    created = operator.post("/v1/brand-lift-studies", QUESTION | {"campaign_id": study["campaign"]["id"]})
    questions = [ask(operator, user) for user in study["users"]]
    payload = urlsplit(questions[0]["answers"][0]["url"]).path.rsplit("/", 1)[1].split(".")[1]
    sealed = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert not {"treatment", "control"} & {str(field) for field in sealed}, sealed
    bot = questions[0]["answers"][1]["url"]
    assert (
        operator.client.get(urlsplit(bot).path + "?answer=1", headers={"User-Agent": "Googlebot/2.1"}).status_code
        == 204
    )  # a bot learns nothing
    for question in questions[1:]:
        choose(operator, question, 1)  # one script, one address, always "the brand"
    past_the_read_date(study)
    results = operator.get(f"/v1/brand-lift-studies/{created['id']}")["results"]
    counted = results["exposed"]["responses"] + results["control"]["responses"]
    assert counted == 20, "only the first 20 answers from one address in an hour count"
    log = runtime(operator.client).event_log
    invalid = [e.invalid for e in log.between(0, 4e9) if e.invalid is not None and (e.data or {}).get("study_id")]
    assert invalid.count(InvalidReason.ANSWER_FLOOD) == len(study["users"]) - 1 - 20
    assert invalid.count(InvalidReason.BOT) == 1


def test_a_significant_drop_is_called_a_drop_and_lifts_no_one(operator: Api, surveyed_study: dict[str, Any]) -> None:  # noqa: F811
    study = surveyed_study
    # 150 answers a group: 40% of the exposed chose the brand, 60% of the control group.
    results = read_after_answers(operator, study, chose_exposed=60, chose_control=90)
    assert results["significant"] is True and results["direction"] == "drop"
    assert results["absolute_lift"] == pytest.approx(-0.2)
    assert results["lifted_users"] is None and results["cost_per_lifted_user"] is None
    assert results["ci95"]["relative"][0] >= -1.0


def test_after_the_read_date_nobody_is_asked_and_late_answers_count_nowhere(
    operator: Api, surveyed_study: dict[str, Any]
) -> None:  # noqa: F811
    study = surveyed_study
    created = operator.post("/v1/brand-lift-studies", QUESTION | {"campaign_id": study["campaign"]["id"]})
    question = ask(operator, study["users"][0])
    assert question is not None
    past_the_read_date(study)
    assert ask(operator, study["users"][1]) is None  # the study has been read: nothing more to ask
    choose(operator, question, 1)  # an answer to a question asked before the read date comes late
    results = operator.get(f"/v1/brand-lift-studies/{created['id']}")["results"]
    assert results["exposed"]["responses"] + results["control"]["responses"] == 0
