//! The configuration reference cannot drift from the code: every flag of `anttd` (read
//! from clap's own description of `Config`) must appear in `deploy/CONFIGURATION.md` in a
//! table row with its variable and its default, and its variable in
//! `deploy/anttd.env.example`.
#![allow(clippy::expect_used)]

use clap::CommandFactory;

fn read_deploy(file: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("read {}: {error}", path.display()))
}

#[test]
fn every_flag_is_documented_with_its_variable_and_default() {
    let reference = read_deploy("CONFIGURATION.md");
    let env_example = read_deploy("anttd.env.example");
    let command = anttd::Config::command();
    let mut checked = 0;
    for arg in command.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        if matches!(long, "help" | "version") {
            continue;
        }
        let flag = format!("`--{long}`");
        let row = reference
            .lines()
            .find(|line| line.starts_with(&format!("| {flag} |")))
            .unwrap_or_else(|| panic!("deploy/CONFIGURATION.md has no table row for {flag}"));
        let env = arg
            .get_env()
            .and_then(|env| env.to_str())
            .unwrap_or_else(|| panic!("{flag} has no ANTT_* variable"));
        assert!(
            row.contains(&format!("`{env}`")),
            "the row of {flag} names `{env}`: {row}"
        );
        for default in arg.get_default_values() {
            let default = default.to_string_lossy();
            assert!(
                row.contains(&format!("`{default}`")),
                "the row of {flag} gives its default `{default}`: {row}"
            );
        }
        assert!(
            env_example.contains(&format!("{env}=")),
            "deploy/anttd.env.example shows {env}"
        );
        checked += 1;
    }
    assert!(checked >= 16, "only {checked} flags were found");
}
