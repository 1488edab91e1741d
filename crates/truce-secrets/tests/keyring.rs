//! Against the real Secret Service: gnome-keyring in a D-Bus session of its own, started by
//! `make test-keyring` (`scripts/test-keyring.sh`), which runs these ignored tests. `secret-tool`
//! (libsecret's own client) reads what Truce stored, so the token is in the keyring, not in a
//! file or in memory.

use std::process::Command;

fn secret_tool_lookup(account: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "truce-hub", "username", account])
        .output()
        .expect("secret-tool (libsecret-tools) is installed");
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).unwrap())
}

#[test]
#[ignore = "needs a Secret Service: make test-keyring"]
fn a_device_token_is_kept_in_the_keyring_read_back_replaced_and_forgotten() {
    let hub = "http://127.0.0.1:7878/";
    let device = format!("device-{}", std::process::id());
    assert_eq!(truce_secrets::load_token(hub, &device).unwrap(), None);
    truce_secrets::save_token(hub, &device, "first-token").unwrap();
    assert_eq!(
        truce_secrets::load_token(hub, &device).unwrap().as_deref(),
        Some("first-token")
    );
    // Stored in the Secret Service itself, under the hub and device (the trailing '/' ignored).
    let account = truce_secrets::account(hub, &device);
    assert_eq!(account, format!("{device}@http://127.0.0.1:7878"));
    assert_eq!(secret_tool_lookup(&account).as_deref(), Some("first-token"));
    // Another hub has no token for this device.
    assert_eq!(
        truce_secrets::load_token("http://other.example", &device).unwrap(),
        None
    );
    truce_secrets::save_token(hub, &device, "second-token").unwrap();
    assert_eq!(
        truce_secrets::load_token("http://127.0.0.1:7878", &device)
            .unwrap()
            .as_deref(),
        Some("second-token")
    );
    assert!(truce_secrets::forget_token(hub, &device).unwrap());
    assert_eq!(truce_secrets::load_token(hub, &device).unwrap(), None);
    assert_eq!(secret_tool_lookup(&account), None);
    assert!(!truce_secrets::forget_token(hub, &device).unwrap());
    let empty = truce_secrets::save_token(hub, &device, "  ").unwrap_err();
    assert_eq!(
        empty.to_string(),
        "the OS keyring: an empty token is not kept"
    );
}
