//! The config file's profiles: flags beat the profile, the profile beats the defaults; mistakes
//! name the file, the line and a suggestion; a token in the file is refused.

use std::path::Path;
use std::time::Duration;

use provisionr_conformance::app::plan::plan_from_args;
use provisionr_conformance::engine::run::{Plan, TargetChoice};

fn write(dir: &Path, text: &str) -> String {
    let path = dir.join("conformance.toml");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn plan(config: &str, extra: &[&str]) -> Result<Plan, String> {
    let mut argv = vec![
        "provisionr-conformance",
        "run",
        "--config",
        config,
        "--profile",
        "p",
    ];
    argv.extend_from_slice(extra);
    plan_from_args(argv).map_err(|e| e.to_string())
}

#[test]
fn flags_override_the_profile_and_the_profile_overrides_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        dir.path(),
        r#"
[profiles.p]
rate = 5
seed = 42
timeout = 9
duration = "2m"
skip_checks = ["allow_header"]
junit = "from-profile.xml"
cases = 12

[profiles.other]
rate = 1
"#,
    );
    let p = plan(&config, &["--seed", "7"]).unwrap();
    assert_eq!(p.seed, 7, "the flag wins");
    assert_eq!(p.rate, Some(5), "the profile wins over the default");
    assert_eq!(p.timeout, Duration::from_secs(9));
    assert_eq!(p.junit.as_deref(), Some(Path::new("from-profile.xml")));
    assert!(p.skip_checks.contains("allow_header"));
    let props = p.properties.as_ref().unwrap();
    assert_eq!(props.duration, Some(Duration::from_secs(120)));
    assert_eq!(props.cases, 12);
    assert_eq!(props.concurrency, 8, "the default stays");
    // Without --profile, the file is not read.
    let bare = plan_from_args(["provisionr-conformance", "run"]).unwrap();
    assert_eq!(bare.rate, None);
}

#[test]
fn variables_expand_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var("PVC_CONFIG_TEST_PORT", "9");
    std::env::set_var("PVC_CONFIG_TEST_TOKEN", "pvt_from_the_environment");
    let config = write(
        dir.path(),
        "[profiles.p]\nbase_url = \"http://127.0.0.1:${PVC_CONFIG_TEST_PORT}/api/v1\"\nservice = \"svc_x\"\ntoken_env = \"PVC_CONFIG_TEST_TOKEN\"\n",
    );
    let p = plan(&config, &[]).unwrap();
    match &p.target {
        TargetChoice::Remote { base_url } => {
            assert_eq!(base_url.as_str(), "http://127.0.0.1:9/api/v1")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(p.token.expose(), "pvt_from_the_environment");

    let config = write(
        dir.path(),
        "[profiles.p]\nrate = 2\nbase_url = \"http://${PVC_CONFIG_TEST_NOT_SET}/api/v1\"\n",
    );
    let err = plan(&config, &[]).unwrap_err();
    assert!(err.contains("PVC_CONFIG_TEST_NOT_SET"), "{err}");
    assert!(err.contains("conformance.toml:3:12"), "{err}");
}

#[test]
fn mistakes_name_the_file_the_line_and_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    for (text, place, hint) in [
        (
            "[profiles.p]\nrat = 5\n",
            "conformance.toml:2:1",
            "did you mean `rate`?",
        ),
        (
            "[profiles.p]\nrate = \"fast\"\n",
            "conformance.toml:2:8",
            "",
        ),
        (
            "[profiles.p]\nduration = \"ten minutes\"\n",
            "conformance.toml:2:12",
            "",
        ),
        (
            "[profiles.q]\nrate = 1\n",
            "conformance.toml",
            "the profiles are: q",
        ),
        (
            "[profiles.p]\ntoken = \"pvt_should_never_be_here\"\n",
            "conformance.toml:2:1",
            "token_env",
        ),
    ] {
        let config = write(dir.path(), text);
        let err = plan(&config, &[]).unwrap_err();
        assert!(err.contains(place), "{text}: {err}");
        assert!(err.contains(hint), "{text}: {err}");
        assert!(!err.contains("pvt_should_never_be_here"), "{err}");
    }
}

#[test]
fn the_example_file_parses_and_a_bad_profile_exits_2_from_the_binary() {
    let example =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/provisionr-conformance.toml");
    std::env::set_var("STAGING_URL", "https://staging.example/api/v1");
    std::env::set_var("STAGING_SERVICE", "svc_staging");
    for name in ["local", "nightly", "release-gate"] {
        provisionr_conformance::app::profile::load(Some(&example), name)
            .unwrap_or_else(|e| panic!("profile {name}: {e}"));
    }
    let dir = tempfile::tempdir().unwrap();
    let config = write(dir.path(), "[profiles.p]\nrat = 5\n");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_provisionr-conformance"))
        .args(["run", "--config", &config, "--profile", "p"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `rate`?"));
    let junit = std::fs::read_to_string(dir.path().join("reports/junit.xml")).unwrap();
    assert!(junit.contains("type=\"setup\""), "{junit}");
}

#[test]
fn a_profile_takes_the_contract_from_openapi_and_path_params() {
    let dir = tempfile::tempdir().unwrap();
    let doc =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/provisionr-workspace.openapi.yaml");
    let config = write(
        dir.path(),
        &format!(
            "[profiles.p]\nopenapi = {:?}\npath_params = {{ service = \"svc_from_profile\" }}\n",
            doc.to_str().unwrap()
        ),
    );
    let p = plan(&config, &[]).unwrap();
    let c = &p.operations[0].contract;
    assert!(
        c.origin.ends_with("provisionr-workspace.openapi.yaml"),
        "{}",
        c.origin
    );
    assert_eq!(p.path_values["service"], "svc_from_profile");
    // --schemas on the command line wins over the profile's document.
    let schemas = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let p = plan(&config, &["--schemas", schemas.to_str().unwrap()]).unwrap();
    assert!(!p.operations[0].contract.origin.ends_with(".yaml"));

    let both = write(
        dir.path(),
        "[profiles.p]\nschemas = \"schemas\"\nopenapi = \"api.yaml\"\n",
    );
    let err = plan(&both, &[]).unwrap_err();
    assert!(
        err.contains("conformance.toml:2:") && err.contains("keep one"),
        "{err}"
    );
}
