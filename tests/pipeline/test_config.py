"""Configuration: flags win over the file, and a bad file fails naming the key."""
import dataclasses

import pytest
import yaml

from newsbeam.configs import DEFAULT_CONFIG
from newsbeam.transforms.read.fetcher import FetchSettings
from newsbeam.pipeline.config import Config, ConfigError, build_config, options_to_argv, read_config_file


def test_documented_default_config_matches_the_code_defaults():
    values = read_config_file(str(DEFAULT_CONFIG))
    defaults = Config()
    assert FetchSettings(**values.pop("fetch")) == FetchSettings()
    for key, value in values.items():
        assert getattr(defaults, key) == value, key
    assert set(values) | {"lexicon", "fetch"} == {f.name for f in dataclasses.fields(Config)}


def test_flags_win_over_the_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"input": ["a/*.txt"], "output": "out", "min_text_chars": 10,
                                    "pipeline_options": {"direct_num_workers": 2}}))
    config = build_config(read_config_file(str(path)),
                          {"output": "elsewhere", "min_text_chars": None, "fail_on_errors": True})
    assert (config.input, config.output, config.min_text_chars, config.fail_on_errors) == (
        ("a/*.txt",), "elsewhere", 10, True)
    assert options_to_argv(config.pipeline_options) == ["--direct_num_workers=2"]


@pytest.mark.parametrize("content, message", [
    ({"inptu": ["x"]}, "unknown key 'inptu'"),
    ({"min_text_chars": "fifty"}, "key 'min_text_chars' must be a whole number >= 0, got 'fifty'"),
    ({"fail_on_errors": "yes"}, "key 'fail_on_errors' must be true or false"),
    ({"extraction": "fastest"}, "key 'extraction' must be one of default, fast, precision, recall"),
    ({"input": [1, 2]}, "key 'input' must be a list of non-empty strings"),
    ({"run_id": "../x"}, "key 'run_id' must be letters, digits"),
    ({"pipeline_options": ["runner"]}, "key 'pipeline_options' must be a mapping"),
    ({"feeds": ["ftp://example.org/feed"]}, "key 'feeds': 'ftp://example.org/feed' is not an http(s) URL"),
    ({"feeds": [{"url": "https://a.example/f", "name": "x"}]}, "feeds[0]: unknown key 'name'"),
    ({"fetch": {"retries": -1}}, "'retries' must be a whole number >= 0"),
    ({"fetch": {"retrys": 2}}, "'retrys' is not one"),
    ({"fetch": {"respect_robots": "no"}}, "'respect_robots' must be true or false"),
])
def test_bad_values_name_the_key_and_the_file(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(content))
    with pytest.raises(ConfigError) as excinfo:
        read_config_file(str(path))
    assert message in str(excinfo.value) and str(path) in str(excinfo.value)


def test_unreadable_or_invalid_files(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config"):
        read_config_file(str(tmp_path / "missing.yaml"))
    (tmp_path / "broken.yaml").write_text("input: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        read_config_file(str(tmp_path / "broken.yaml"))
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        read_config_file(str(tmp_path / "list.yaml"))


def test_input_and_output_are_required():
    with pytest.raises(ConfigError, match="no input"):
        build_config({}, {"output": "o"})
    with pytest.raises(ConfigError, match="no output"):
        build_config({}, {"input": ["x"]})
