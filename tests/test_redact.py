"""Which environment variables count as secrets: whole name parts, never setting words."""

from harness.io.redact import MASK, redact, redact_data, secret_values


def test_secret_named_variables_are_masked_by_whole_name_part():
    env = {"HF_TOKEN": "hf_abcdefgh", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI",
           "DB_PASSWORD": "tiger-2024", "OPENAI_APIKEY": "abcd1234", "MY_API_KEY": "k3y-value"}
    assert set(secret_values(env)) == set(env.values())
    for value in env.values():
        assert redact(f"value {value} here", env) == f"value {MASK} here"


def test_a_setting_that_only_contains_a_secret_word_is_not_a_secret():
    # TOKENIZERS_PARALLELISM=false used to mask every "false" (and the key
    # false_refusal_rate) of results.json, which the gate then refused.
    env = {"TOKENIZERS_PARALLELISM": "false", "PWD": "/work/main", "KEYBOARD": "us-intl",
           "SECRETARY_NAME": "Alice Doe"}
    assert secret_values(env) == []
    data = {"false_refusal_rate": 0.1, "path": "/work/main/x", "flag": "false"}
    assert redact_data(data, env) == data


def test_boolean_like_values_are_never_secrets_even_under_a_secret_name():
    env = {"HF_TOKEN": "false", "DB_PASSWORD": "None", "GIT_TOKEN": "real-token-1"}
    assert secret_values(env) == ["real-token-1"]
