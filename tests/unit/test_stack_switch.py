"""The one switch that chooses the tests' stack: an existing one, containers, or the local stack."""

from __future__ import annotations

import pytest

from ops.stack.exceptions import StackError
from tests.stack import stack_kind

EXTERNAL = {"OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS": "kafka:9092"}


def engine(answer: bool):
    def reachable() -> bool:
        reachable.asked = True
        return answer

    reachable.asked = False
    return reachable


def test_auto_uses_containers_when_a_docker_engine_answers_and_the_local_stack_when_none_does():
    assert stack_kind({}, engine(True)) == "containers"
    assert stack_kind({}, engine(False)) == "local"
    assert stack_kind({"OFFICESTREAM_TEST_STACK": "auto"}, engine(True)) == "containers"


@pytest.mark.parametrize("choice", ["local", "containers"])
def test_the_override_wins_and_the_engine_is_not_even_asked(choice):
    for answer in (True, False):
        probe = engine(answer)
        assert stack_kind({"OFFICESTREAM_TEST_STACK": choice}, probe) == choice
        assert probe.asked is False


def test_an_existing_stack_named_by_env_is_used_as_it_is():
    probe = engine(True)
    assert stack_kind(EXTERNAL, probe) == "external" and probe.asked is False


def test_an_override_that_contradicts_an_existing_stack_or_is_misspelt_is_refused_by_name():
    with pytest.raises(StackError, match="OFFICESTREAM_TEST_STACK=containers conflicts with OFFICESTREAM_KAFKA_BOOTSTRAP"):
        stack_kind({**EXTERNAL, "OFFICESTREAM_TEST_STACK": "containers"}, engine(True))
    with pytest.raises(StackError, match="OFFICESTREAM_TEST_STACK='docker': use auto, local or containers"):
        stack_kind({"OFFICESTREAM_TEST_STACK": "docker"}, engine(True))
